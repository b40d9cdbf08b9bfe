import { describe, expect, it } from "vitest";
import { fitDoubleSeasonal, doubleSeasonalForecast, doubleSeasonalHoltWinters, DEFAULT_DOUBLE_SEASONAL_PARAMS } from "../src/forecast/double-seasonal.ts";
import { holtWinters } from "../src/forecast/holt-winters.ts";
import { forecastErrors } from "../src/forecast/metrics.ts";
import { seasonalNaive, seasonalNaiveForecast } from "../src/forecast/seasonal-naive.ts";
import { ensembleForecaster, memoizedForecaster } from "../src/forecast/ensemble.ts";
import { selectingForecaster, standardCandidates, validationInputs, validationOrigins } from "../src/forecast/selection.ts";
import type { ForecastInput, Forecaster } from "../src/forecast/types.ts";
import { weeklyMedian, weeklyMedianForecast } from "../src/forecast/weekly-median.ts";
import { weeklyNaive, weeklyNaiveForecast } from "../src/forecast/weekly-naive.ts";
import { createRng } from "../src/workload/rng.ts";

const PERIOD = 24;
const WEEK = 7 * PERIOD;

/** A daily wave, quieter weekends (days 5 and 6 of every week) and Gaussian noise. */
function weeklySeries(opts: { n: number; seed: string; level?: number; weekend?: number; daily?: number; noise?: number }): number[] {
  const rng = createRng(opts.seed);
  const level = opts.level ?? 1000;
  return Array.from({ length: opts.n }, (_, t) => {
    const day = Math.floor(t / PERIOD) % 7;
    const weekend = day >= 5 ? -(opts.weekend ?? 400) : 0;
    return level + (opts.daily ?? 300) * Math.sin((2 * Math.PI * t) / PERIOD) + weekend + (opts.noise ?? 20) * rng.normal();
  });
}

function holdoutMase(f: Forecaster, values: readonly number[], horizon: number): number {
  const history = values.slice(0, values.length - horizon);
  const actual = values.slice(values.length - horizon);
  return forecastErrors(actual, f.forecast({ history, horizon, period: PERIOD }), history, PERIOD).mase;
}

describe("weekly naive", () => {
  it("repeats the same step one week back", () => {
    const history = Array.from({ length: 2 * WEEK }, (_, i) => i);
    expect(weeklyNaive.forecast({ history, horizon: 3, period: PERIOD })).toEqual([WEEK, WEEK + 1, WEEK + 2]);
    // Past a week ahead it wraps to the last observed week again.
    expect(weeklyNaiveForecast(history, WEEK + 1, PERIOD).at(-1)).toBe(WEEK);
  });

  it("falls back to daily seasonal naive on a history shorter than a week", () => {
    const history = Array.from({ length: 3 * PERIOD }, (_, i) => i);
    expect(weeklyNaive.forecast({ history, horizon: 30, period: PERIOD })).toEqual(seasonalNaiveForecast(history, 30, PERIOD));
  });
});

describe("double-seasonal Holt-Winters", () => {
  it("beats daily seasonal naive and Holt-Winters on a series with a weekly pattern", () => {
    for (const [seed, start] of [["w1", 0], ["w2", 3 * PERIOD], ["w3", 5 * PERIOD]] as const) {
      // The held-out two days cross into (or out of) a weekend, where only a weekly model can know.
      const values = weeklySeries({ n: 3 * WEEK + start + 2 * PERIOD, seed }).slice(start);
      const ds = holdoutMase(doubleSeasonalHoltWinters(), values, 2 * PERIOD);
      const sn = holdoutMase(seasonalNaive, values, 2 * PERIOD);
      const hw = holdoutMase(holtWinters(), values, 2 * PERIOD);
      expect(ds).toBeLessThan(sn);
      expect(ds).toBeLessThan(hw);
      expect(ds).toBeLessThan(0.5);
    }
  });

  it("does not lose badly on a purely daily or a flat series", () => {
    const daily = weeklySeries({ n: 3 * WEEK, seed: "d", weekend: 0 });
    expect(holdoutMase(doubleSeasonalHoltWinters(), daily, 2 * PERIOD)).toBeLessThan(holdoutMase(holtWinters(), daily, 2 * PERIOD) * 1.25);
    const rng = createRng("flat");
    const flat = Array.from({ length: 3 * WEEK }, () => 500 + 10 * rng.normal());
    expect(holdoutMase(doubleSeasonalHoltWinters(), flat, 2 * PERIOD)).toBeLessThan(holdoutMase(seasonalNaive, flat, 2 * PERIOD) * 1.1);
  });

  it("falls back to single-season Holt-Winters under two weeks of history", () => {
    const values = weeklySeries({ n: 10 * PERIOD, seed: "short" });
    const fit = fitDoubleSeasonal(values, PERIOD);
    expect(fit.weekly).toBe(false);
    const out = doubleSeasonalHoltWinters().forecast({ history: values, horizon: 24, period: PERIOD });
    expect(out).toHaveLength(24);
    expect(out.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
    expect(doubleSeasonalHoltWinters().forecast({ history: [4, 5], horizon: 2, period: PERIOD })).toEqual([5, 5]);
  });

  it("fits parameters inside their ranges, honours fixed ones, and forecasts at fixed parameters", () => {
    const values = weeklySeries({ n: 500, seed: "fit" });
    const fit = fitDoubleSeasonal(values, PERIOD, { phi: 1, gammaWeek: 0.15 });
    expect(fit.weekly).toBe(true);
    expect(fit.params.phi).toBe(1);
    expect(fit.params.gammaWeek).toBe(0.15);
    for (const k of ["alpha", "gammaDay"] as const) {
      expect(fit.params[k]).toBeGreaterThan(0);
      expect(fit.params[k]).toBeLessThan(1);
    }
    expect(fit.params.ar).toBeGreaterThanOrEqual(0);
    expect(fit.params.ar).toBeLessThan(1);
    // Its speed is the forecast benchmark's business (a timed test fails on a busy machine).
    const ahead = doubleSeasonalForecast(values, 24, PERIOD, DEFAULT_DOUBLE_SEASONAL_PARAMS);
    expect(ahead).toHaveLength(24);
    expect(ahead.every((v) => Number.isFinite(v))).toBe(true);
  });
});

describe("best model per series", () => {
  const candidates = [seasonalNaive, weeklyNaive, holtWinters(), doubleSeasonalHoltWinters()];

  it("never reads past the end of the history it is given", () => {
    const values = weeklySeries({ n: 3 * WEEK, seed: "cut" });
    const cut = values.length - 2 * PERIOD;
    const seen: number[] = [];
    const spy: Forecaster = {
      kind: "holt_winters",
      forecast(input) {
        seen.push(input.history.length + input.horizon);
        return seasonalNaive.forecast(input);
      },
    };
    const history = values.slice(0, cut);
    const sel = selectingForecaster([seasonalNaive, spy], { validationSteps: 2 * PERIOD });
    const a = sel.forecastWithChoice({ history, horizon: 2 * PERIOD, period: PERIOD });
    // Validation forecasts end inside the history; only the final forecast reaches past it.
    expect(seen.slice(0, -1).every((end) => end <= cut)).toBe(true);
    // The future cannot change the choice: the same history with different later values chooses the same.
    const b = sel.forecastWithChoice({ history: [...history], horizon: 2 * PERIOD, period: PERIOD });
    expect(b).toEqual(a);
  });

  it("picks a weekly-aware model on a weekly series and reports every score", () => {
    const values = weeklySeries({ n: 3 * WEEK + 5 * PERIOD, seed: "sel" });
    const history = values.slice(0, values.length - 2 * PERIOD);
    const sel = selectingForecaster(candidates, { validationSteps: 3 * PERIOD, maxOrigins: 3 });
    const choice = sel.forecastWithChoice({ history, horizon: 2 * PERIOD, period: PERIOD });
    expect(["weekly_naive", "double_seasonal"]).toContain(choice.kind);
    expect(choice.scores.map((s) => s.kind)).toEqual(["seasonal_naive", "weekly_naive", "holt_winters", "double_seasonal"]);
    const chosen = choice.scores.find((s) => s.kind === choice.kind)!.mase!;
    for (const s of choice.scores) expect(chosen).toBeLessThanOrEqual(s.mase!);
    expect(choice.values).toHaveLength(2 * PERIOD);
    expect(sel.forecast({ history, horizon: 2 * PERIOD, period: PERIOD })).toEqual(choice.values);
  });

  it("serves the first candidate when the history is too short to validate", () => {
    const sel = selectingForecaster([weeklyNaive, holtWinters()], { validationSteps: 24 });
    const choice = sel.forecastWithChoice({ history: [1, 2, 3, 4, 5], horizon: 2, period: PERIOD });
    expect(choice.kind).toBe("weekly_naive");
    expect(choice.scores.every((s) => s.mase === null)).toBe(true);
  });

  it("builds validation inputs once per history, cut at each origin", () => {
    const input: ForecastInput = { history: weeklySeries({ n: 200, seed: "v" }), horizon: 48, period: PERIOD, startMs: 0, stepMs: 3_600_000 };
    const opts = { validationSteps: 48, maxOrigins: 2 };
    expect(validationOrigins(200, 48, PERIOD, opts)).toEqual([
      { origin: 152, steps: 48 },
      { origin: 176, steps: 24 },
    ]);
    const a = validationInputs(input, opts);
    expect(a.map((v) => v.history.length)).toEqual([152, 176]);
    expect(validationInputs(input, opts)).toBe(a);
  });
});

describe("ensembles and the standard candidates", () => {
  it("averages its members step by step", () => {
    const constant = (v: number): Forecaster => ({ kind: "holt_winters", forecast: (i) => new Array<number>(i.horizon).fill(v) });
    expect(ensembleForecaster([constant(2), constant(4), constant(9)]).forecast({ history: [1], horizon: 2, period: 1 })).toEqual([5, 5]);
  });

  it("fits a shared member once per request", () => {
    let calls = 0;
    const counted = memoizedForecaster<Forecaster>({ kind: "holt_winters", forecast: (i) => (calls++, new Array<number>(i.horizon).fill(1)) });
    const input: ForecastInput = { history: [1, 2, 3], horizon: 2, period: 1 };
    counted.forecast(input)[0] = 99;
    expect(counted.forecast(input)).toEqual([1, 1]);
    counted.forecast({ ...input });
    expect(calls).toBe(2);
  });

  it("lists Holt-Winters first, so series too short to score keep the former default", () => {
    const candidates = standardCandidates();
    expect(candidates.map((c) => c.kind)).toEqual(["holt_winters", "seasonal_naive", "weekly_naive", "weekly_median", "double_seasonal", "ensemble"]);
    const sel = selectingForecaster(candidates, { validationSteps: 24 });
    const history = [5, 6, 7, 8, 9, 10, 11, 12];
    expect(sel.forecastWithChoice({ history, horizon: 3, period: PERIOD })).toMatchObject({ kind: "holt_winters", values: holtWinters().forecast({ history, horizon: 3, period: PERIOD }) });
  });
});

describe("weekly median", () => {
  it("is the median of the same step over the weeks the history holds, at most eight", () => {
    // Ten weeks; week k (1 = the last) holds the constant 10 * k, so the last eight give a median of 45.
    const history = Array.from({ length: 10 * WEEK }, (_, t) => 10 * (10 - Math.floor(t / WEEK)));
    expect(weeklyMedianForecast(history, 3, PERIOD)).toEqual([45, 45, 45]);
    expect(weeklyMedianForecast(history, 2, PERIOD, 3)).toEqual([20, 20]);
  });

  it("drops a burst that happened in one week, which weekly naive repeats", () => {
    const values = weeklySeries({ n: 5 * WEEK, seed: "burst", noise: 5 });
    const history = values.slice(0, 4 * WEEK);
    // Last week's Tuesday afternoon had a news burst at five times the usual level.
    for (let t = 4 * WEEK - WEEK + PERIOD + 12; t < 4 * WEEK - WEEK + PERIOD + 18; t++) history[t] = history[t]! * 5;
    const input = { history, horizon: 2 * PERIOD, period: PERIOD };
    const actual = values.slice(4 * WEEK, 4 * WEEK + 2 * PERIOD);
    const err = (f: number[]) => f.reduce((sum, v, i) => sum + Math.abs(v - actual[i]!), 0);
    expect(err(weeklyMedian.forecast(input))).toBeLessThan(err(weeklyNaive.forecast(input)) / 3);
  });

  it("is weekly naive below two weeks of history and never negative", () => {
    const values = weeklySeries({ n: WEEK + 30, seed: "short" });
    expect(weeklyMedianForecast(values, 5, PERIOD)).toEqual(weeklyNaiveForecast(values, 5, PERIOD));
    expect(weeklyMedianForecast(Array.from({ length: 2 * WEEK }, () => -3), 2, PERIOD)).toEqual([0, 0]);
  });
});
