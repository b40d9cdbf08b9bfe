import { ShardcastError } from "../errors.ts";
import type { ForecastErrors } from "./types.ts";

/**
 * The denominator of MASE: the in-sample mean absolute error of the seasonal naive forecast
 * (y[t] predicted by y[t - period]) over `history` (Hyndman & Koehler, 2006).
 *
 * A history shorter than one season plus one step uses the one-step naive error instead. A
 * constant history has no naive error at all; its scale is then the mean absolute level (or 1 for
 * an all-zero history), so that MASE stays finite and still grows with the error.
 */
export function maseScale(history: readonly number[], period: number): number {
  const lag = period >= 1 && history.length > period ? Math.floor(period) : 1;
  let sum = 0;
  let count = 0;
  for (let t = lag; t < history.length; t++) {
    sum += Math.abs(history[t]! - history[t - lag]!);
    count++;
  }
  if (count > 0 && sum > 0) return sum / count;
  if (lag > 1) {
    // A seasonal series that repeats exactly: fall back to the one-step naive error.
    let s1 = 0;
    for (let t = 1; t < history.length; t++) s1 += Math.abs(history[t]! - history[t - 1]!);
    if (s1 > 0) return s1 / (history.length - 1);
  }
  let level = 0;
  for (const v of history) level += Math.abs(v);
  return history.length > 0 && level > 0 ? level / history.length : 1;
}

/**
 * MAE, RMSE and MASE of `predicted` against `actual` (same length), MASE scaled by the in-sample
 * seasonal naive MAE of `history` (the observations before `actual`).
 */
export function forecastErrors(actual: readonly number[], predicted: readonly number[], history: readonly number[], period: number): ForecastErrors {
  if (actual.length !== predicted.length) {
    throw new ShardcastError("bad_request", `forecastErrors: ${actual.length} actual values but ${predicted.length} predicted`);
  }
  if (actual.length === 0) throw new ShardcastError("bad_request", "forecastErrors: no values to score");
  let abs = 0;
  let sq = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = actual[i]! - predicted[i]!;
    abs += Math.abs(e);
    sq += e * e;
  }
  const mae = abs / actual.length;
  return { mae, rmse: Math.sqrt(sq / actual.length), mase: mae / maseScale(history, period) };
}
