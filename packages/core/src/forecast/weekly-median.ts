import { median } from "../median.ts";
import { checkForecastInput } from "./seasonal-naive.ts";
import type { ForecastInput, Forecaster } from "./types.ts";
import { weekPeriod, weeklyNaiveForecast } from "./weekly-naive.ts";

/** Most past weeks a step's median is taken over: two months, enough to outvote a holiday week or two. */
export const WEEKLY_MEDIAN_MAX_WEEKS = 8;

/**
 * Step h ahead is the median of the values at the same phase of each of the last `maxSeasons`
 * whole seasons of length `season` the history holds (at least two; with fewer, null). The median
 * keeps the seasonal shape and drops what happened once (a burst, a holiday, noise), and it reads
 * a handful of values per step, so it is cheap enough to run for every shardlet.
 */
export function seasonalMedianForecast(history: readonly number[], horizon: number, season: number, maxSeasons: number): number[] | null {
  const n = history.length;
  const seasons = Math.min(Math.max(1, Math.floor(maxSeasons)), Math.floor(n / Math.max(1, season)));
  if (seasons < 2 || season < 1) return null;
  const out = new Array<number>(horizon);
  const sample = new Array<number>(seasons);
  for (let h = 0; h < horizon; h++) {
    const phase = h % season;
    for (let k = 1; k <= seasons; k++) sample[k - 1] = history[n - k * season + phase]!;
    out[h] = Math.max(0, median(sample));
  }
  return out;
}

/**
 * "The same step of the week, as it usually is": the seasonal median over the last `maxWeeks`
 * whole weeks. Weekly naive repeats one week, noise, news bursts and holidays included; the median
 * over several weeks keeps the weekly shape and drops what happened once. With two weeks it is
 * their mean; with less than two it is weekly naive (and, below a week, daily seasonal naive).
 *
 * It does not follow a level shift until half the weeks it looks at have the new level: the
 * selection (see selection.ts) scores it against models that do on the end of each series.
 */
export function weeklyMedianForecast(history: readonly number[], horizon: number, period: number, maxWeeks = WEEKLY_MEDIAN_MAX_WEEKS): number[] {
  return seasonalMedianForecast(history, horizon, weekPeriod(period), maxWeeks) ?? weeklyNaiveForecast(history, horizon, period);
}

export const weeklyMedian: Forecaster = {
  kind: "weekly_median",
  forecast(input: ForecastInput): number[] {
    checkForecastInput(input);
    return weeklyMedianForecast(input.history, input.horizon, input.period);
  },
};
