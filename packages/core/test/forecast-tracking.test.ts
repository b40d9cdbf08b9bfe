import { describe, expect, it } from "vitest";
import { ForecastErrorTracker } from "../src/forecast/tracking.ts";
import { createRng } from "../src/workload/rng.ts";

const PERIOD = 24;

/** Actual load: a daily wave with noise, and from `shiftAt` on, `shift` more. */
function actual(t: number, rng: ReturnType<typeof createRng>, shift = 0, shiftAt = Infinity): number {
  return 1000 + 300 * Math.sin((2 * Math.PI * t) / PERIOD) + 20 * rng.normal() + (t >= shiftAt ? shift : 0);
}
/** What a seasonal forecaster predicts: the wave without the noise, or (adapted) with the new level. */
const expected = (t: number, level = 0) => 1000 + level + 300 * Math.sin((2 * Math.PI * t) / PERIOD);

function feed(tracker: ForecastErrorTracker, from: number, to: number, rng: ReturnType<typeof createRng>, opts: { shift?: number; shiftAt?: number; adaptAt?: number } = {}) {
  const out = [];
  for (let t = from; t < to; t++) {
    // A forecast made an hour ahead, as the analyzer does every run.
    const adapted = opts.adaptAt !== undefined && t >= opts.adaptAt ? (opts.shift ?? 0) : 0;
    tracker.recordForecast("s", t, [expected(t, adapted)]);
    out.push(tracker.observe("s", t, actual(t, rng, opts.shift, opts.shiftAt)));
  }
  return out;
}

describe("forecast error tracking", () => {
  it("keeps trusting a normal seasonal series", () => {
    const tracker = new ForecastErrorTracker();
    const statuses = feed(tracker, 0, 14 * PERIOD, createRng("normal"));
    expect(statuses.every((s) => s.trusted)).toBe(true);
    expect(tracker.untrusted()).toEqual([]);
  });

  it("flags a level shift within a few steps, says why, and trusts again once the forecasts recover", () => {
    const tracker = new ForecastErrorTracker();
    const shiftAt = 3 * PERIOD;
    const rng = createRng("shift");
    // Load drops by 40% (a holiday); the forecaster catches up six hours later.
    const statuses = feed(tracker, 0, 5 * PERIOD, rng, { shift: -400, shiftAt, adaptAt: shiftAt + 6 });
    const flagged = statuses.findIndex((s) => !s.trusted);
    expect(flagged).toBeGreaterThanOrEqual(shiftAt);
    expect(flagged - shiftAt).toBeLessThanOrEqual(3);
    expect(statuses[flagged]!.reason).toMatch(/naive one-step error/);
    expect(statuses[flagged]!.untrustedSince).toBe(flagged);
    const recovered = statuses.findIndex((s, i) => i > flagged && s.trusted);
    expect(recovered).toBeGreaterThan(shiftAt + 6);
    expect(recovered - (shiftAt + 6)).toBeLessThanOrEqual(12);
    expect(statuses.slice(recovered).every((s) => s.trusted && s.reason === null)).toBe(true);
  });

  it("describes an untrusted series by where its error stands now, not only by the break that flagged it", () => {
    const tracker = new ForecastErrorTracker();
    const shiftAt = 3 * PERIOD;
    const statuses = feed(tracker, 0, shiftAt + 4, createRng("describe"), { shift: -400, shiftAt, adaptAt: shiftAt + 6 });
    expect(statuses[statuses.length - 1]!.trusted).toBe(false);
    const rolling = tracker.status("s").rollingError!;
    const text = tracker.describe("s")!;
    expect(text.startsWith(tracker.status("s").reason!)).toBe(true);
    expect(text).toContain(`now ${rolling >= 10 ? rolling.toFixed(0) : rolling.toFixed(1)}x over the last`);
    expect(text).toContain("trusted again after 6 steps in a row within 3.0x averaging at most 1.5x");
    // Once the forecasts recover there is nothing to describe.
    feed(tracker, shiftAt + 4, 5 * PERIOD, createRng("describe-after"), { shift: -400, shiftAt, adaptAt: shiftAt + 6 });
    expect(tracker.status("s").trusted).toBe(true);
    expect(tracker.describe("s")).toBeNull();
    expect(tracker.describe("never-seen")).toBeNull();
  });

  it("stays untrusted while the forecasts stay wrong", () => {
    const tracker = new ForecastErrorTracker();
    const statuses = feed(tracker, 0, 5 * PERIOD, createRng("stuck"), { shift: 500, shiftAt: 2 * PERIOD });
    expect(statuses.slice(2 * PERIOD + 3).every((s) => !s.trusted)).toBe(true);
  });

  it("round-trips its state through JSON and carries on from it", () => {
    const a = new ForecastErrorTracker();
    feed(a, 0, 3 * PERIOD + 4, createRng("json"), { shift: -400, shiftAt: 3 * PERIOD });
    const saved = JSON.parse(JSON.stringify(a.toJSON())) as ReturnType<ForecastErrorTracker["toJSON"]>;
    const b = new ForecastErrorTracker({}, saved);
    expect(b.status("s")).toEqual(a.status("s"));
    expect(b.status("s").trusted).toBe(false);
    b.recordForecast("s", 3 * PERIOD + 4, [600]);
    a.recordForecast("s", 3 * PERIOD + 4, [600]);
    expect(b.observe("s", 3 * PERIOD + 4, 610)).toEqual(a.observe("s", 3 * PERIOD + 4, 610));
    // Steps without a forecast are not scored, and a series never seen is trusted.
    expect(b.observe("s", 3 * PERIOD + 5, 620).lastError).toBeNull();
    expect(b.status("other")).toMatchObject({ trusted: true, reason: null });
  });
});

describe("upper factor", () => {
  it("is how far actuals ran above their forecasts at the quantile: wide for bursts, 1 for a series the forecast matches", () => {
    const t = new ForecastErrorTracker();
    for (let step = 0; step < 100; step++) {
      t.recordForecast("steady", step, [100]);
      t.recordForecast("bursty", step, [100]);
      t.observe("steady", step, 100);
      // One step in five runs at twice the forecast, the others at it.
      t.observe("bursty", step, step % 5 === 0 ? 200 : 100);
    }
    expect(t.upperFactor("steady", 0.9)).toBe(1);
    expect(t.upperFactor("bursty", 0.9)).toBe(2);
    expect(t.upperFactor("bursty", 0.5)).toBe(1);
    expect(t.upperFactor("bursty", 0.9, { cap: 1.5 })).toBe(1.5);
    // Off at quantile 0, and 1 until enough steps were scored.
    expect(t.upperFactor("bursty", 0)).toBe(1);
    expect(t.upperFactor("never-seen", 0.9)).toBe(1);
  });

  it("keeps its ratios in the saved state, and loads a state saved before it had them", () => {
    const t = new ForecastErrorTracker();
    for (let step = 0; step < 40; step++) {
      t.recordForecast("s", step, [10]);
      t.observe("s", step, step % 2 === 0 ? 15 : 10);
    }
    const restored = new ForecastErrorTracker({}, t.toJSON());
    expect(restored.upperFactor("s", 0.9)).toBe(1.5);
    const old = t.toJSON();
    delete old.series.s!.ratios;
    const fromOld = new ForecastErrorTracker({}, old);
    expect(fromOld.upperFactor("s", 0.9)).toBe(1);
    fromOld.recordForecast("s", 40, [10]);
    expect(fromOld.observe("s", 40, 12).trusted).toBe(true);
  });
});
