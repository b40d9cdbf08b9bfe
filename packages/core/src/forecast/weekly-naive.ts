import { checkForecastInput, seasonalNaiveForecast } from "./seasonal-naive.ts";
import type { ForecastInput, Forecaster } from "./types.ts";

/** Seasons in a week: the forecasting period is a day (24 hourly steps), so a week is seven of them. */
export const SEASONS_PER_WEEK = 7;

/** Steps in a week for a daily `period`. */
export function weekPeriod(period: number): number {
  return period * SEASONS_PER_WEEK;
}

/**
 * "The same step one week ago": step h ahead is history[n - week + (h mod week)]. Load that
 * differs between weekdays and weekends is what daily seasonal naive misses and this does not.
 *
 * A history shorter than a week has no value a week back, so it falls back to daily seasonal
 * naive (the best that history supports) rather than to a constant.
 */
export function weeklyNaiveForecast(history: readonly number[], horizon: number, period: number): number[] {
  const week = weekPeriod(period);
  return seasonalNaiveForecast(history, horizon, history.length >= week ? week : period);
}

/** The baseline a weekly-aware model has to beat (a one-line model that beats daily seasonal naive). */
export const weeklyNaive: Forecaster = {
  kind: "weekly_naive",
  forecast(input: ForecastInput): number[] {
    checkForecastInput(input);
    return weeklyNaiveForecast(input.history, input.horizon, input.period);
  },
};
