import { describe, expect, it } from "vitest";
import { DEFAULT_CAPACITY_ESTIMATE_OPTIONS, effectiveHostCapacity, estimateHostCapacity, type LoadObservation } from "../src/index.ts";

const STEP = 10_000;
const opts = (nowMs: number) => ({ ...DEFAULT_CAPACITY_ESTIMATE_OPTIONS, nowMs });

/** Intervals from t = 0, one per step, each with enough acks to count. */
function series(points: ReadonlyArray<[load: number, latencyMs: number]>, startMs = 0): LoadObservation[] {
  return points.map(([load, latencyMs], i) => ({ atMs: startMs + i * STEP, load, latencyMs, samples: 1_000 }));
}

describe("estimateHostCapacity", () => {
  it("finds the plateau a host reaches once its latency rises", () => {
    // A ramp: 12 ms up to 800 events/s, then the host stops keeping up near 1,000 and queues.
    const obs = series([
      [200, 12],
      [400, 12],
      [600, 13],
      [800, 14],
      [980, 60],
      [1010, 120],
      [1000, 150],
    ]);
    const e = estimateHostCapacity(obs, opts(7 * STEP));
    expect(e.baselineMs).toBe(12);
    expect(e.saturated).toBe(3);
    expect(e.eventsPerSec).toBe(1000);
    expect(e.reason).toMatch(/latency rose past 24 ms/);
  });

  it("keeps the configured figure (null) for a host that was never pushed to its limit", () => {
    const obs = series([
      [100, 10],
      [300, 11],
      [500, 10],
      [700, 12],
    ]);
    const e = estimateHostCapacity(obs, opts(4 * STEP));
    expect(e.eventsPerSec).toBeNull();
    expect(e.healthyPeak).toBe(700);
    expect(e.reason).toMatch(/no saturation seen/);
    expect(estimateHostCapacity([], opts(0)).eventsPerSec).toBeNull();
  });

  it("ignores a single slow interval and intervals with too few acks", () => {
    const obs = series([
      [200, 10],
      [300, 80],
      [400, 10],
      [500, 11],
    ]);
    obs.push({ atMs: 4 * STEP, load: 450, latencyMs: 500, samples: 3 });
    expect(estimateHostCapacity(obs, opts(5 * STEP)).eventsPerSec).toBeNull();
  });

  it("learns a lower figure when the host slows down, forgetting the healthier past it contradicts", () => {
    const before = series([
      [500, 10],
      [1500, 11],
      [2000, 12],
    ]);
    const after = series(
      [
        [300, 12],
        [600, 70],
        [610, 90],
        [590, 80],
      ],
      3 * STEP,
    );
    const e = estimateHostCapacity([...before, ...after], opts(7 * STEP));
    expect(e.eventsPerSec).toBe(600);
  });

  it("rises again when the host serves more at baseline latency after its slow spell", () => {
    const slow = series([
      [300, 10],
      [600, 70],
      [610, 90],
      [590, 80],
    ]);
    const recovered = series(
      [
        [900, 11],
        [1200, 12],
      ],
      4 * STEP,
    );
    const e = estimateHostCapacity([...slow, ...recovered], opts(6 * STEP));
    // The saturated intervals at or below 1,200 are cleared by the later healthy ones.
    expect(e.eventsPerSec).toBeNull();
    expect(e.healthyPeak).toBe(1200);
  });

  it("forgets saturation older than the window", () => {
    const obs = series([
      [300, 10],
      [600, 70],
      [610, 90],
      [590, 80],
    ]);
    const later = 4 * STEP + DEFAULT_CAPACITY_ESTIMATE_OPTIONS.windowMs;
    expect(estimateHostCapacity(obs, opts(4 * STEP)).eventsPerSec).toBe(600);
    expect(estimateHostCapacity(obs, opts(later)).eventsPerSec).toBeNull();
  });

  it("does not call a rise of a few ms on a fast host a knee", () => {
    const obs = series([
      [100, 1],
      [200, 1],
      [400, 3],
      [500, 3.5],
    ]);
    expect(estimateHostCapacity(obs, opts(4 * STEP)).eventsPerSec).toBeNull();
  });
});

describe("effectiveHostCapacity", () => {
  it("takes the override, else the measured figure, else the configured one", () => {
    expect(effectiveHostCapacity({ capacityEventsPerSec: 5000, capacityOverrideEventsPerSec: 800, measuredCapacityEventsPerSec: 1000 })).toEqual({ eventsPerSec: 800, source: "override" });
    expect(effectiveHostCapacity({ capacityEventsPerSec: 5000, capacityOverrideEventsPerSec: null, measuredCapacityEventsPerSec: 1000 })).toEqual({ eventsPerSec: 1000, source: "measured" });
    expect(effectiveHostCapacity({ capacityEventsPerSec: 5000, capacityOverrideEventsPerSec: null, measuredCapacityEventsPerSec: null })).toEqual({ eventsPerSec: 5000, source: "configured" });
  });
});
