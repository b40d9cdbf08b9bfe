import { checkForecastInput } from "./seasonal-naive.ts";
import type { ForecastInput, Forecaster } from "./types.ts";
import { weekPeriod, weeklyNaiveForecast } from "./weekly-naive.ts";

/** Most past weeks a step's median is taken over: two months, enough to outvote a holiday week or two. */
export const WEEKLY_MEDIAN_MAX_WEEKS = 8;

function medianOf(values: number[]): number {
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 === 1 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

/**
 * "The same step of the week, as it usually is": step h ahead is the median of the values at the
 * same position of each of the last `maxWeeks` whole weeks the history holds. Weekly naive repeats
 * one week, noise, news bursts and holidays included; the median over several weeks keeps the weekly
 * shape and drops what happened once. With two weeks it is their mean; with less than two it is
 * weekly naive (and, below a week, daily seasonal naive).
 *
 * It does not follow a level shift until half the weeks it looks at have the new level: the
 * selection (see selection.ts) scores it against models that do on the end of each series.
 */
export function weeklyMedianForecast(history: readonly number[], horizon: number, period: number, maxWeeks = WEEKLY_MEDIAN_MAX_WEEKS): number[] {
  const n = history.length;
  const week = weekPeriod(period);
  const weeks = Math.min(Math.max(1, Math.floor(maxWeeks)), Math.floor(n / week));
  if (weeks < 2) return weeklyNaiveForecast(history, horizon, period);
  const out = new Array<number>(horizon);
  const sample = new Array<number>(weeks);
  for (let h = 0; h < horizon; h++) {
    const phase = h % week;
    for (let k = 1; k <= weeks; k++) sample[k - 1] = history[n - k * week + phase]!;
    out[h] = Math.max(0, medianOf(sample.slice()));
  }
  return out;
}

export const weeklyMedian: Forecaster = {
  kind: "weekly_median",
  forecast(input: ForecastInput): number[] {
    checkForecastInput(input);
    return weeklyMedianForecast(input.history, input.horizon, input.period);
  },
};
