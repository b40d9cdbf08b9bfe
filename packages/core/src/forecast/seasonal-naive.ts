import { ShardcastError } from "../errors.ts";
import type { ForecastInput, Forecaster } from "./types.ts";

export function checkForecastInput(input: ForecastInput): void {
  if (!Number.isInteger(input.horizon) || input.horizon < 0) {
    throw new ShardcastError("bad_request", `forecast horizon must be a non-negative integer, got ${input.horizon}`);
  }
  if (!Number.isInteger(input.period) || input.period < 1) {
    throw new ShardcastError("bad_request", `forecast period must be a positive integer, got ${input.period}`);
  }
}

/**
 * Repeats the last observed season: step h ahead is history[n - period + (h mod period)]. A history
 * shorter than one season repeats its last value; an empty one forecasts 0.
 */
export function seasonalNaiveForecast(history: readonly number[], horizon: number, period: number): number[] {
  const n = history.length;
  const out = new Array<number>(horizon);
  if (n === 0) return out.fill(0);
  if (n < period) return out.fill(Math.max(0, history[n - 1]!));
  for (let h = 0; h < horizon; h++) out[h] = Math.max(0, history[n - period + (h % period)]!);
  return out;
}

/** The baseline every model is scored against (MASE < 1 beats it in sample). */
export const seasonalNaive: Forecaster = {
  kind: "seasonal_naive",
  forecast(input: ForecastInput): number[] {
    checkForecastInput(input);
    return seasonalNaiveForecast(input.history, input.horizon, input.period);
  },
};
