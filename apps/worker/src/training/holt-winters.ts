import {
  chooseHoltWintersOptions,
  evaluateHoldout,
  fitHoltWinters,
  holtWinters,
  splitHoldout,
  type HoldoutEvaluation,
  type HoltWintersOptions,
  type HoltWintersParams,
} from "@shardcast/core";
import type { Corpus } from "./corpus.ts";

/** What a Holt-Winters version stores: the fitting options (the analyzer refits per series with them). */
export interface HoltWintersArtifact {
  format: "shardcast-holt-winters/1";
  options: HoltWintersOptions;
  /** Parameters fitted on the training part of the first series, for the console. */
  fitted: Array<{ name: string; params: HoltWintersParams; seasonal: boolean }>;
}

export interface HoltWintersTraining {
  artifact: HoltWintersArtifact;
  evaluation: HoldoutEvaluation;
  /** Validation MASE of every option set tried (on the window just before the held-out one). */
  tried: Array<{ options: HoltWintersOptions; mase: number | null }>;
}

/**
 * Chooses Holt-Winters fitting options on a validation window that ends where the held-out window
 * starts (the held-out window is never looked at), then scores the chosen options on it.
 */
export async function trainHoltWinters(corpus: Corpus, onProgress: (fraction: number, note: string) => Promise<void> | void): Promise<HoltWintersTraining> {
  const opts = { holdout: corpus.holdout, period: corpus.period };
  await onProgress(0.1, "choosing fitting options on the window before the held-out one");
  const { options, tried } = chooseHoltWintersOptions(corpus.series, opts);
  await onProgress(0.75, "scoring on the held-out window");
  const evaluation = evaluateHoldout(holtWinters(options), corpus.series, opts);
  const fitted = corpus.series.slice(0, 20).map((s) => {
    const f = fitHoltWinters(splitHoldout(s, corpus.holdout, corpus.period).input.history, corpus.period, options);
    return { name: s.name, params: f.params, seasonal: f.seasonal };
  });
  return { artifact: { format: "shardcast-holt-winters/1", options, fitted }, evaluation, tried };
}
