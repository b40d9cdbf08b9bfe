import { describe, expect, it } from "vitest";
import { chooseHoltWintersOptions, evaluateHoldout, holtWintersCandidates, minimumSeriesLength, scoreHoldout, splitHoldout } from "../src/forecast/evaluate.ts";
import { fitHoltWinters, holtWinters, holtWintersForecast } from "../src/forecast/holt-winters.ts";
import { forecastErrors, maseScale } from "../src/forecast/metrics.ts";
import { seasonalNaive } from "../src/forecast/seasonal-naive.ts";
import { isShardcastError } from "../src/errors.ts";
import { createRng } from "../src/workload/rng.ts";

const PERIOD = 24;

/** level + slope * t + a daily wave + Gaussian noise, deterministic per seed. */
function synthetic(opts: { n: number; level: number; slope: number; amplitude: number; noise: number; seed: string }): number[] {
  const rng = createRng(opts.seed);
  return Array.from({ length: opts.n }, (_, t) => opts.level + opts.slope * t + opts.amplitude * Math.sin((2 * Math.PI * t) / PERIOD) + opts.noise * rng.normal());
}

describe("seasonal naive", () => {
  it("repeats the last season, step by step", () => {
    const history = Array.from({ length: 30 }, (_, i) => i);
    expect(seasonalNaive.forecast({ history, horizon: 8, period: 4 })).toEqual([26, 27, 28, 29, 26, 27, 28, 29]);
  });

  it("repeats the last value when the history is shorter than a season, and never goes negative", () => {
    expect(seasonalNaive.forecast({ history: [3, 5], horizon: 3, period: 24 })).toEqual([5, 5, 5]);
    expect(seasonalNaive.forecast({ history: [], horizon: 2, period: 24 })).toEqual([0, 0]);
    expect(seasonalNaive.forecast({ history: [-4, -2, 1], horizon: 2, period: 2 })).toEqual([0, 1]);
  });

  it("rejects a bad horizon or period", () => {
    for (const bad of [{ horizon: -1, period: 2 }, { horizon: 1.5, period: 2 }, { horizon: 1, period: 0 }]) {
      let err: unknown;
      try {
        seasonalNaive.forecast({ history: [1, 2, 3], ...bad });
      } catch (e) {
        err = e;
      }
      expect(isShardcastError(err) && err.code).toBe("bad_request");
    }
  });
});

describe("forecast errors", () => {
  it("computes MAE, RMSE and MASE scaled by the in-sample seasonal naive error", () => {
    // Seasonal differences at lag 2: |3-1|, |4-2|, |7-3|, |8-4| -> mean 3.
    const history = [1, 2, 3, 4, 7, 8];
    expect(maseScale(history, 2)).toBe(3);
    const e = forecastErrors([10, 10, 10], [9, 12, 10], history, 2);
    expect(e.mae).toBeCloseTo(1, 12);
    expect(e.rmse).toBeCloseTo(Math.sqrt(5 / 3), 12);
    expect(e.mase).toBeCloseTo(1 / 3, 12);
  });

  it("falls back to the one-step error, then the level, for histories without seasonal error", () => {
    expect(maseScale([1, 3], 24)).toBe(2);
    expect(maseScale([5, 6, 5, 6, 5, 6], 2)).toBe(1);
    expect(maseScale([4, 4, 4, 4], 2)).toBe(4);
    expect(maseScale([0, 0, 0], 1)).toBe(1);
  });

  it("refuses lists of different lengths", () => {
    expect(() => forecastErrors([1, 2], [1], [1, 2, 3], 1)).toThrow(/2 actual values but 1 predicted/);
  });
});

describe("Holt-Winters", () => {
  it("beats seasonal naive on a trended seasonal series", () => {
    const series = Array.from({ length: 6 }, (_, i) => ({
      name: `trend-${i}`,
      values: synthetic({ n: 10 * PERIOD, level: 100 + 20 * i, slope: 0.8, amplitude: 30, noise: 4, seed: `trend-${i}` }),
    }));
    const opts = { holdout: 2 * PERIOD, period: PERIOD };
    const hw = evaluateHoldout(holtWinters(), series, opts);
    const sn = evaluateHoldout(seasonalNaive, series, opts);
    // Seasonal naive misses two days of trend and copies one noisy day; Holt-Winters models both.
    expect(sn.mase).toBeGreaterThan(1);
    expect(hw.mase).toBeLessThan(0.6 * sn.mase);
    for (const s of hw.series) expect(s.mase).toBeLessThan(s.baselineMase);
  });

  it("does not lose badly to seasonal naive on a flat noisy series", () => {
    const series = Array.from({ length: 6 }, (_, i) => ({
      name: `flat-${i}`,
      values: synthetic({ n: 8 * PERIOD, level: 50, slope: 0, amplitude: 0, noise: 5, seed: `flat-${i}` }),
    }));
    const opts = { holdout: PERIOD, period: PERIOD };
    const hw = evaluateHoldout(holtWinters(), series, opts);
    const sn = evaluateHoldout(seasonalNaive, series, opts);
    expect(hw.mase).toBeLessThan(sn.mase * 1.05);
  });

  it("recovers a clean seasonal pattern almost exactly", () => {
    const values = Array.from({ length: 6 * PERIOD }, (_, t) => 200 + 40 * Math.sin((2 * Math.PI * t) / PERIOD));
    const forecast = holtWinters().forecast({ history: values, horizon: PERIOD, period: PERIOD });
    for (let h = 0; h < PERIOD; h++) expect(forecast[h]).toBeCloseTo(values[values.length - PERIOD + h]!, 0);
  });

  it("fits parameters inside their ranges and honours fixed ones", () => {
    const values = synthetic({ n: 8 * PERIOD, level: 80, slope: 0.3, amplitude: 20, noise: 3, seed: "fit" });
    const fit = fitHoltWinters(values, PERIOD);
    expect(fit.seasonal).toBe(true);
    for (const k of ["alpha", "gamma"] as const) {
      expect(fit.params[k]).toBeGreaterThan(0);
      expect(fit.params[k]).toBeLessThan(1);
    }
    expect(fit.params.beta).toBeGreaterThanOrEqual(0);
    expect(fit.mse).toBeGreaterThan(0);
    const fixed = fitHoltWinters(values, PERIOD, { alpha: 0.5, phi: 1 });
    expect(fixed.params.alpha).toBe(0.5);
    expect(fixed.params.phi).toBe(1);
    // A multi-step fit is another objective, not the same answer under another name.
    expect(fitHoltWinters(values, PERIOD, { fitLead: PERIOD }).params).not.toEqual(fit.params);
  });

  it("is deterministic, returns the horizon asked for, and copes with short histories", () => {
    const values = synthetic({ n: 5 * PERIOD, level: 30, slope: 0, amplitude: 10, noise: 2, seed: "det" });
    const f = holtWinters();
    expect(f.forecast({ history: values, horizon: 40, period: PERIOD })).toEqual(f.forecast({ history: values, horizon: 40, period: PERIOD }));
    expect(f.forecast({ history: values, horizon: 40, period: PERIOD })).toHaveLength(40);
    expect(f.forecast({ history: [4, 5, 6, 7, 8], horizon: 3, period: PERIOD })).toHaveLength(3);
    expect(f.forecast({ history: [4], horizon: 3, period: PERIOD })).toEqual([4, 4, 4]);
    expect(f.forecast({ history: values, horizon: 0, period: PERIOD })).toEqual([]);
    // A falling series is clamped at zero rather than forecast negative.
    const falling = Array.from({ length: 60 }, (_, t) => Math.max(0, 100 - 2 * t));
    expect(Math.min(...holtWintersForecast(falling, 30, 1, { alpha: 0.9, beta: 0.5, gamma: 0, phi: 1 }))).toBe(0);
  });
});

describe("held-out evaluation", () => {
  const series = [{ name: "a", values: Array.from({ length: 100 }, (_, t) => 10 + (t % 10)), startMs: 0, stepMs: 1000 }];

  it("keeps the held-out window out of the history and scores seasonal naive beside the model", () => {
    const { input, actual } = splitHoldout(series[0]!, 20, 10);
    expect(input.history).toHaveLength(80);
    expect(actual).toEqual(series[0]!.values.slice(80));
    expect(input.horizon).toBe(20);
    const r = evaluateHoldout(seasonalNaive, series, { holdout: 20, period: 10 });
    // A pure repeating pattern: seasonal naive is exact.
    expect(r.mase).toBe(0);
    expect(r.baselineMase).toBe(0);
    const off = scoreHoldout(series, [series[0]!.values.slice(80).map((v) => v + 2)], { holdout: 20, period: 10 });
    expect(off.mae).toBe(2);
    expect(off.series[0]!.predicted[0]).toBe(12);
  });

  it("rejects a holdout as long as the series", () => {
    expect(() => splitHoldout(series[0]!, 100, 10)).toThrow(/not more than the 100-step holdout/);
    expect(minimumSeriesLength({ holdout: 48, period: 24 })).toBe(97);
  });
});

describe("choosing Holt-Winters options", () => {
  it("scores every candidate on the window before the held-out one and never reads the held-out window", () => {
    const series = Array.from({ length: 4 }, (_, i) => ({
      name: `s${i}`,
      values: synthetic({ n: 9 * PERIOD, level: 100, slope: 0.5, amplitude: 25, noise: 3, seed: `choose-${i}` }),
    }));
    const opts = { holdout: PERIOD, period: PERIOD };
    const chosen = chooseHoltWintersOptions(series, opts);
    expect(chosen.tried).toHaveLength(holtWintersCandidates(PERIOD).length);
    for (const t of chosen.tried) expect(t.mase).toBeGreaterThan(0);
    const best = Math.min(...chosen.tried.map((t) => t.mase!));
    expect(chosen.tried.find((t) => t.options === chosen.options)?.mase).toBe(best);
    // Wild values in the held-out window change nothing about the choice.
    const poisoned = series.map((s) => ({ ...s, values: [...s.values.slice(0, -PERIOD), ...new Array<number>(PERIOD).fill(1e9)] }));
    expect(chooseHoltWintersOptions(poisoned, opts)).toEqual(chosen);
  });

  it("falls back to the first candidate when no series is long enough to validate", () => {
    const r = chooseHoltWintersOptions([{ name: "short", values: [1, 2, 3, 4, 5] }], { holdout: 2, period: PERIOD });
    expect(r.options).toEqual({});
    expect(r.tried.every((t) => t.mase === null)).toBe(true);
  });
});
