import type { LstmConfig } from "@shardcast/models";
import type { CorpusOptions } from "./corpus.ts";

// The worker's dependencies carry this, so it sits below the training run that uses them.

/** How the training job reads its corpus and trains; everything has a default. */
export interface TrainingConfig extends CorpusOptions {
  /** LSTM epochs (early stopping keeps the best; default 30). */
  epochs?: number;
  lstm?: Partial<LstmConfig>;
  /** Series whose forecast vs actual is stored with a version (default 6). */
  previewSeries?: number;
}
