import { describe, expect, it } from "vitest";
import { createRng, lastDayAbnormal, scoreHoldout, selectingForecaster, splitHoldout, standardCandidates, weeklyNaive, type EvaluationSeries } from "../src/index.ts";

const P = 24;
const SELECTION = { validationSteps: 7 * P, stride: P, maxOrigins: 7 };

/** Four weeks of hourly load with a daily shape, quieter weekends and 5% noise; day `holiday` at 30%. */
function series(seed: number, days: number, holiday: number | null): number[] {
  const rng = createRng(seed);
  const out: number[] = [];
  for (let d = 0; d < days; d++) {
    const level = (d % 7 >= 5 ? 0.6 : 1) * (d === holiday ? 0.3 : 1);
    for (let h = 0; h < P; h++) out.push(1000 * level * (1 + 0.6 * Math.sin(((h - 6) / 24) * 2 * Math.PI)) * (1 + 0.05 * (rng.next() - 0.5)));
  }
  return out;
}

describe("lastDayAbnormal", () => {
  it("flags a holiday as the last day, and not an ordinary day or a weekend", () => {
    expect(lastDayAbnormal(series(1, 23, 22), P)).toMatchObject({ logRatio: expect.closeTo(Math.log(0.3), 1) as number });
    expect(lastDayAbnormal(series(1, 23, null), P)).toBeNull();
    // Day 20 is a Saturday: quiet, as Saturdays are.
    expect(lastDayAbnormal(series(1, 21, null), P)).toBeNull();
    // A holiday two days back is no longer the last day.
    expect(lastDayAbnormal(series(1, 25, 22), P)).toBeNull();
  });

  it("says nothing about a history too short to tell", () => {
    expect(lastDayAbnormal(series(1, 10, 9), P)).toBeNull();
  });

  it("asks more of a series whose days stray more", () => {
    // The same drop, to 68% of its weekday's usual day (a log ratio of -0.39), after calm days and
    // after days that wander by a third: abnormal in the first, ordinary in the second.
    const daysOf = (wander: number) => {
      const rng = createRng(7);
      const levels = Array.from({ length: 21 }, () => 1 + wander * (rng.next() - 0.5));
      const usual = [levels[0]!, levels[7]!, levels[14]!].sort((a, b) => a - b)[1]!;
      levels.push(0.68 * usual);
      return levels.flatMap((level) => new Array<number>(P).fill(1000 * level));
    };
    expect(lastDayAbnormal(daysOf(0.02), P)).not.toBeNull();
    expect(lastDayAbnormal(daysOf(0.66), P)).toBeNull();
  });
});

describe("selection after an abnormal day", () => {
  it("keeps to the weekly candidates, where a smoothing model would carry the holiday into the next days", () => {
    const ratios = { guarded: [] as number[], unguarded: [] as number[] };
    for (const seed of [2, 3, 4]) {
      const s: EvaluationSeries = { name: `s${seed}`, values: series(seed, 25, 22) };
      const { input } = splitHoldout(s, 48, P);
      const wn = scoreHoldout([s], [weeklyNaive.forecast(input)], { holdout: 48, period: P }).series[0]!.mase;
      const guarded = selectingForecaster(standardCandidates(), SELECTION).forecastWithChoice(input);
      const unguarded = selectingForecaster(standardCandidates(), { ...SELECTION, abnormalDayGuard: false }).forecastWithChoice(input);
      expect(guarded.kind).toBe("weekly_median");
      expect(guarded.abnormal).toBeDefined();
      ratios.guarded.push(scoreHoldout([s], [guarded.values], { holdout: 48, period: P }).series[0]!.mase / wn);
      ratios.unguarded.push(scoreHoldout([s], [unguarded.values], { holdout: 48, period: P }).series[0]!.mase / wn);
    }
    expect(Math.max(...ratios.guarded)).toBeLessThan(1.2);
    // Without the guard, at least one of these histories is forecast at several times weekly naive's error.
    expect(Math.max(...ratios.unguarded)).toBeGreaterThan(3);
  });

  it("chooses as before when the last day is ordinary", () => {
    const s: EvaluationSeries = { name: "ordinary", values: series(2, 25, null) };
    const { input } = splitHoldout(s, 48, P);
    const a = selectingForecaster(standardCandidates(), SELECTION).forecastWithChoice(input);
    const b = selectingForecaster(standardCandidates(), { ...SELECTION, abnormalDayGuard: false }).forecastWithChoice(input);
    expect(a.kind).toBe(b.kind);
    expect(a.abnormal).toBeUndefined();
  });
});
