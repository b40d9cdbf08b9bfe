import { describe, expect, it } from "vitest";
import { ForecastErrorTracker, judgeShardletForecasts, recordShardletForecasts, SHARDLET_ERROR_TRACKER_OPTIONS } from "../src/index.ts";

const flat = (v: number, n: number) => new Array<number>(n).fill(v);

describe("judging shardlet forecasts between analyzer runs", () => {
  it("scores each run's forecasts against the steps that came, flags a shardlet that outran them, and forgets retired ones", () => {
    const tracker = new ForecastErrorTracker(SHARDLET_ERROR_TRACKER_OPTIONS);
    // Run 1 at step 100: two shardlets with 60 steps of history, a little noise, forecast flat.
    const noisy = (base: number, n: number, offset = 0) => Array.from({ length: n }, (_, i) => base + ((i + offset) % 3) - 1);
    const calm = { id: "calm", history: noisy(50, 60) };
    const hot = { id: "hot", history: noisy(50, 60) };
    expect(judgeShardletForecasts(tracker, [calm, hot, { id: "gone", history: flat(5, 60) }], 100)).toEqual(new Map());
    // Of a new series, only what its naive scale needs is kept.
    expect(tracker.toJSON().series.calm!.actuals).toHaveLength(tracker.options.scaleWindow + 1);
    recordShardletForecasts(tracker, 100, { forecasts: new Map([["calm", flat(50, 12)], ["hot", flat(50, 12)]]), modelForecasts: new Map() }, { steps: 4 });
    expect(Object.keys(tracker.toJSON().series.hot!.pending)).toEqual(["100", "101", "102", "103"]);

    // Run 2 at step 103: calm stayed; hot climbed far beyond its forecast. "gone" was retired.
    const untrusted = judgeShardletForecasts(tracker, [{ id: "calm", history: [...calm.history.slice(3), ...noisy(50, 3, 60)] }, { id: "hot", history: [...hot.history.slice(3), 80, 110, 140] }], 103);
    expect([...untrusted.keys()]).toEqual(["hot"]);
    expect(untrusted.get("hot")).toMatch(/^the last 3 actuals each missed the forecast by more than 3\.0x/);
    expect(tracker.seriesIds().sort()).toEqual(["calm", "hot"]);
    // Steps already seen are not scored twice.
    expect(tracker.status("hot").rollingError).toBeGreaterThan(3);
    const before = tracker.toJSON().series.hot!.errors.length;
    judgeShardletForecasts(tracker, [{ id: "hot", history: [...hot.history.slice(3), 80, 110, 140] }], 103);
    expect(tracker.toJSON().series.hot!.errors).toHaveLength(before);
  });

  it("records the model's forecast of a shardlet planned on its observed rate, so the model keeps being judged", () => {
    const tracker = new ForecastErrorTracker(SHARDLET_ERROR_TRACKER_OPTIONS);
    recordShardletForecasts(tracker, 10, { forecasts: new Map([["s", [7, 7]]]), modelForecasts: new Map([["s", [1.23456, 2]]]) }, { clean: (v) => Math.round(v * 100) / 100 });
    expect(tracker.toJSON().series.s!.pending).toEqual({ "10": 1.23, "11": 2 });
  });
});
