/** A series to learn from: evenly spaced values, oldest first. */
export interface TrainingSeries {
  name: string;
  values: readonly number[];
  startMs?: number;
  stepMs?: number;
  /** Defaults to the model's period. */
  period?: number;
  covariates?: ReadonlyArray<readonly number[]>;
}

export interface TrainProgress {
  /** `fit`: training (and, with validation, the search for the epoch count); `refit`: the final fit. */
  phase: "fit" | "refit";
  /** The epoch within its phase and the phase's epoch count. */
  epoch: number;
  epochs: number;
  /**
   * Epochs run over both phases, and how many the whole training is expected to run. The
   * expectation only shrinks (early stopping ends the search, the chosen count fixes the refit's
   * length), so `done / total` never decreases and reaches 1 at the last epoch.
   */
  done: number;
  total: number;
  /** Mean absolute error of the epoch on the scaled targets. */
  loss: number;
  /** The same on the validation windows, when there are any. */
  valLoss?: number;
}

export interface TrainOptions {
  epochs: number;
  /** Most training windows (origins are thinned evenly beyond this; default 6,000). */
  maxWindows?: number;
  onProgress?: (p: TrainProgress) => void | Promise<void>;
  /** Checked between epochs. */
  signal?: AbortSignal;
  /**
   * Keep the last this many steps of every series for validation: the model trains on what
   * comes before, is scored on forecasts into that tail after every epoch, and ends with the
   * weights of its best epoch (early stopping). 0 (default) trains on everything for `epochs`.
   */
  validationSteps?: number;
  /**
   * With validation: once the best epoch count is known, train a fresh network (same seed) on
   * every window, the validation tail included, for that many epochs. The most recent stretch
   * then shapes the model too; the price is a second, shorter training.
   */
  refit?: boolean;
  /** With validation: stop after this many epochs without a better validation error (default: run every epoch). */
  patience?: number;
}

export interface TrainResult {
  windows: number;
  validationWindows: number;
  losses: number[];
  valLosses: number[];
  /** Epoch whose weights the model kept (the last one without validation), or the refit's length. */
  bestEpoch: number;
  /** Whether the final network was retrained on every window (see `refit`). */
  refitted: boolean;
  durationMs: number;
}
