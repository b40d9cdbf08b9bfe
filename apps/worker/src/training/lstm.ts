import { evaluateHoldoutBatch, type EvaluationSeries, type HoldoutEvaluation } from "@shardcast/core";
import type { LstmArtifact, LstmConfig, TrainResult } from "@shardcast/models";
import type { Corpus } from "./corpus.ts";
import { seriesWithColumns } from "./covariates.ts";

export interface LstmTrainingOptions {
  epochs: number;
  /** Most training windows (origins are thinned evenly beyond this; default 3,000). */
  maxWindows?: number;
  /** Overrides of the network's shape and training (seed, units, learning rate...). */
  config?: Partial<LstmConfig>;
  signal?: AbortSignal;
}

export interface LstmTraining {
  artifact: LstmArtifact;
  evaluation: HoldoutEvaluation;
  config: LstmConfig;
  result: TrainResult;
  backend: string;
}

/**
 * The network's shape for a corpus: it forecasts the held-out window in one pass and reads a
 * season of history (between 24 and 48 steps: the recurrent layer's cost grows with it, and the
 * per-step features already carry the season and the week).
 */
export function lstmConfigFor(corpus: Pick<Corpus, "period" | "holdout"> & Partial<Pick<Corpus, "covariates">>, overrides: Partial<LstmConfig> = {}): Partial<LstmConfig> {
  return {
    period: corpus.period,
    // The network reads every covariate column the corpus carries, and stores their names.
    covariateColumns: (corpus.covariates ?? []).map((c) => ({ ...c })),
    horizon: Math.min(corpus.holdout, 512),
    lookback: Math.max(24, Math.min(48, corpus.period)),
    ...overrides,
  };
}

/**
 * Trains the LSTM (with the corpus's covariate columns, when it has any) across every series of the corpus on what precedes the held-out window (the
 * epoch count chosen on a validation window just before it), then scores it on the held-out window.
 */
export async function trainLstm(
  corpus: Corpus,
  opts: LstmTrainingOptions,
  onProgress: (fraction: number, note: string) => Promise<void> | void,
): Promise<LstmTraining> {
  // TensorFlow.js loads only in a worker that trains (or serves) an LSTM.
  const { LstmForecaster } = await import("@shardcast/models");
  await onProgress(0.02, "loading TensorFlow.js");
  const model = await LstmForecaster.create(lstmConfigFor(corpus, opts.config));
  try {
    const c = model.config;
    // The corpus's covariates in the network's column order (by name; none without covariates).
    const series = seriesWithColumns(corpus, c);
    const fitting: EvaluationSeries[] = series.map((s) => ({ ...s, values: s.values.slice(0, s.values.length - corpus.holdout) }));
    // Early stopping scores a season of forecast origins in the tail before the held-out window;
    // the longest series must still leave a season and a horizon to train on.
    const validationSteps = c.horizon + c.period;
    const longest = Math.max(...fitting.map((s) => s.values.length));
    const v = longest >= validationSteps + c.period + c.horizon ? validationSteps : 0;
    await onProgress(0.05, `training on ${fitting.length} series (${model.backend} backend)`);
    // The epoch count is chosen on the tail, then a fresh network trains on everything for that long.
    const result = await model.train(fitting, {
      epochs: opts.epochs,
      validationSteps: v,
      refit: v > 0,
      patience: 10,
      maxWindows: opts.maxWindows ?? 3_000,
      ...(opts.signal ? { signal: opts.signal } : {}),
      // Epochs run of those the search and the refit are expected to take together (see TrainProgress).
      onProgress: (p) =>
        onProgress(
          0.05 + 0.85 * Math.min(1, p.done / p.total),
          p.phase === "refit"
            ? `final fit, epoch ${p.epoch} of ${p.epochs}, loss ${p.loss.toFixed(4)}`
            : p.valLoss !== undefined
              ? `epoch ${p.epoch}, loss ${p.loss.toFixed(4)}, validation ${p.valLoss.toFixed(4)}`
              : `epoch ${p.epoch}/${p.epochs}, loss ${p.loss.toFixed(4)}`,
        ),
    });
    await onProgress(0.92, "scoring on the held-out window");
    const evaluation = await evaluateHoldoutBatch(model, series, { holdout: corpus.holdout, period: corpus.period });
    const artifact = await model.serialize();
    return { artifact, evaluation, config: c, result, backend: model.backend };
  } finally {
    model.dispose();
  }
}
