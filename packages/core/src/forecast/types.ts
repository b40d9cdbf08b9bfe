/**
 * Forecasting contracts shared by the analyzer, the training job, the simulator and the benchmarks.
 * Series are evenly spaced buckets (e.g. writes per second per hour); index 0 is the oldest.
 */

/**
 * `weekly_naive` and `double_seasonal` are the weekly-aware baseline and model, `weekly_median`
 * the median of the same step over several weeks, `ensemble` a mean
 * of models (see ensemble.ts); `selection` picks the best of several models per series on the end
 * of its history (see selection.ts).
 */
export type ForecastModelKind = "seasonal_naive" | "weekly_naive" | "weekly_median" | "holt_winters" | "double_seasonal" | "ensemble" | "selection" | "lstm";

export interface ForecastInput {
  /** Observed values, oldest first. */
  history: readonly number[];
  /** Steps to forecast after the last observation. */
  horizon: number;
  /** Season length in steps (24 for hourly buckets with a daily cycle). */
  period: number;
  /** Epoch ms of history[0] and the bucket length, for calendar features (hour, weekday). */
  startMs?: number;
  stepMs?: number;
  /**
   * Extra per-step features aligned with history followed by the horizon (length
   * history.length + horizon), e.g. client hints; models that do not use them ignore them.
   */
  covariates?: ReadonlyArray<readonly number[]>;
}

/** A model that forecasts one series at a time, synchronously (baselines; used by the simulator). */
export interface Forecaster {
  readonly kind: ForecastModelKind;
  /** Returns exactly `input.horizon` non-negative values. */
  forecast(input: ForecastInput): number[];
}

/** A model that forecasts many series at once and may be asynchronous (the LSTM). */
export interface BatchForecaster {
  readonly kind: ForecastModelKind;
  forecastMany(inputs: readonly ForecastInput[]): Promise<number[][]>;
}

/** Error figures of a model on a held-out window. MASE < 1 beats seasonal naive. */
export interface ForecastErrors {
  mae: number;
  rmse: number;
  mase: number;
}
