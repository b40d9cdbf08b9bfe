import { ShardcastError } from "../errors.ts";
import { holtWinters, type HoltWintersOptions } from "./holt-winters.ts";
import { forecastErrors } from "./metrics.ts";
import { seasonalNaiveForecast } from "./seasonal-naive.ts";
import type { BatchForecaster, ForecastErrors, ForecastInput, Forecaster } from "./types.ts";

/** One series to score: evenly spaced values, oldest first, with its calendar position. */
export interface EvaluationSeries {
  name: string;
  values: readonly number[];
  startMs?: number;
  stepMs?: number;
  /** Per-step extra features for the whole series (see ForecastInput.covariates). */
  covariates?: ReadonlyArray<readonly number[]>;
}

export interface HoldoutOptions {
  /** Steps at the end of every series kept out of the history and forecast in one go. */
  holdout: number;
  period: number;
}

export interface SeriesEvaluation extends ForecastErrors {
  name: string;
  /** MASE of seasonal naive on the same window (same scale), for comparison. */
  baselineMase: number;
  actual: number[];
  predicted: number[];
}

export interface HoldoutEvaluation {
  /** Pooled over every held-out point of every series. */
  mae: number;
  rmse: number;
  /** Mean of the per-series MASE (the M-competition convention); medianMase is beside it. */
  mase: number;
  medianMase: number;
  /** The same figures for seasonal naive on the same windows. */
  baselineMase: number;
  series: SeriesEvaluation[];
}

/** Splits a series into the history a model may see and the held-out window it must forecast. */
export function splitHoldout(s: EvaluationSeries, holdout: number, period: number): { input: ForecastInput; actual: number[] } {
  if (!Number.isInteger(holdout) || holdout < 1) throw new ShardcastError("bad_request", `holdout must be a positive integer, got ${holdout}`);
  const cut = s.values.length - holdout;
  if (cut < 1) throw new ShardcastError("bad_request", `series ${s.name} has ${s.values.length} points, not more than the ${holdout}-step holdout`);
  const input: ForecastInput = {
    history: s.values.slice(0, cut),
    horizon: holdout,
    period,
    ...(s.startMs !== undefined ? { startMs: s.startMs } : {}),
    ...(s.stepMs !== undefined ? { stepMs: s.stepMs } : {}),
    ...(s.covariates ? { covariates: s.covariates } : {}),
  };
  return { input, actual: s.values.slice(cut) };
}

/** Shortest series that holds two seasons for fitting plus the held-out window. */
export function minimumSeriesLength(opts: HoldoutOptions): number {
  return 2 * opts.period + 1 + opts.holdout;
}

function middle(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Scores forecasts already made for each series' held-out window. */
export function scoreHoldout(series: readonly EvaluationSeries[], predictions: readonly (readonly number[])[], opts: HoldoutOptions): HoldoutEvaluation {
  if (series.length === 0) throw new ShardcastError("bad_request", "no series to evaluate");
  if (predictions.length !== series.length) throw new ShardcastError("internal", `${predictions.length} forecasts for ${series.length} series`);
  let abs = 0;
  let sq = 0;
  let points = 0;
  const out: SeriesEvaluation[] = [];
  for (const [i, s] of series.entries()) {
    const { input, actual } = splitHoldout(s, opts.holdout, opts.period);
    const predicted = [...predictions[i]!];
    const e = forecastErrors(actual, predicted, input.history, opts.period);
    const base = forecastErrors(actual, seasonalNaiveForecast(input.history, opts.holdout, opts.period), input.history, opts.period);
    for (let k = 0; k < actual.length; k++) {
      const d = actual[k]! - predicted[k]!;
      abs += Math.abs(d);
      sq += d * d;
    }
    points += actual.length;
    out.push({ name: s.name, ...e, baselineMase: base.mase, actual, predicted });
  }
  const mases = out.map((r) => r.mase);
  return {
    mae: abs / points,
    rmse: Math.sqrt(sq / points),
    mase: mases.reduce((a, b) => a + b, 0) / mases.length,
    medianMase: middle(mases),
    baselineMase: out.reduce((a, r) => a + r.baselineMase, 0) / out.length,
    series: out,
  };
}

/** Forecasts every series' held-out window from the history before it and scores the result. */
export function evaluateHoldout(forecaster: Forecaster, series: readonly EvaluationSeries[], opts: HoldoutOptions): HoldoutEvaluation {
  const predictions = series.map((s) => forecaster.forecast(splitHoldout(s, opts.holdout, opts.period).input));
  return scoreHoldout(series, predictions, opts);
}

/** The same for a batch model (one call for all series). */
export async function evaluateHoldoutBatch(forecaster: BatchForecaster, series: readonly EvaluationSeries[], opts: HoldoutOptions): Promise<HoldoutEvaluation> {
  const predictions = await forecaster.forecastMany(series.map((s) => splitHoldout(s, opts.holdout, opts.period).input));
  return scoreHoldout(series, predictions, opts);
}

/**
 * Fitting options Holt-Winters is trained with: the classic one-step fit, and fits that minimise
 * the error over a season ahead (steadier over long horizons), free or damped.
 */
export function holtWintersCandidates(period: number): HoltWintersOptions[] {
  return [{}, { fitLead: period }, { fitLead: period, phi: 0.9 }];
}

/**
 * Chooses Holt-Winters options on a validation window that ends where the held-out window starts:
 * each candidate forecasts the `holdout` steps before the held-out window from the history before
 * them, and the lowest mean MASE wins. The held-out window itself is never looked at.
 */
export function chooseHoltWintersOptions(
  series: readonly EvaluationSeries[],
  opts: HoldoutOptions,
  candidates: readonly HoltWintersOptions[] = holtWintersCandidates(opts.period),
): { options: HoltWintersOptions; tried: Array<{ options: HoltWintersOptions; mase: number | null }> } {
  const fitting = series
    .map((s) => ({ ...s, values: s.values.slice(0, s.values.length - opts.holdout) }))
    .filter((s) => s.values.length >= minimumSeriesLength(opts));
  const tried: Array<{ options: HoltWintersOptions; mase: number | null }> = [];
  let best: { options: HoltWintersOptions; mase: number } | null = null;
  for (const options of candidates) {
    if (fitting.length === 0) {
      tried.push({ options, mase: null });
      continue;
    }
    const v = evaluateHoldout(holtWinters(options), fitting, opts);
    tried.push({ options, mase: v.mase });
    if (!best || v.mase < best.mase) best = { options, mase: v.mase };
  }
  return { options: best?.options ?? candidates[0] ?? {}, tried };
}
