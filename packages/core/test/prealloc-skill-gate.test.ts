import { describe, expect, it } from "vitest";
import { decidePrealloc, gatePreallocDecision, preallocGateVerdict, rangeWriteRate, shadowSurged, type PreallocCandidate, type SettledPrediction } from "../src/index.ts";

const settled = (hit: boolean, fallbacksIfReactive = 400, cost = 40): SettledPrediction => ({ hit, fallbacksIfReactive, cost, shadow: false });

const candidate: PreallocCandidate = {
  prediction: { shardletId: "s1", probability: 0.9, expectedPeakPerStep: 1_000, currentPerStep: 10, usualPerStep: 10, horizonEndsMs: 120_000 },
  shardletBytes: 1 << 20,
  splittable: true,
  host: { id: "h1", writesPerSec: 100, capacityPerSec: 10_000 },
  destination: null,
  prepared: false,
};

describe("the pre-allocation skill gate", () => {
  it("stays open until enough predictions settled: the cost model decides alone", () => {
    const v = preallocGateVerdict([settled(false), settled(false), settled(false)]);
    expect(v).toMatchObject({ open: true, settled: 3, hits: 0 });
  });

  it("closes when the hits saved less than every preparation cost, and opens when they saved more", () => {
    // One hit in ten: 400 saved against 10 x 40 = 400 cost pays (a tie is no loss against reacting).
    const tenth = [settled(true), ...Array.from({ length: 9 }, () => settled(false))];
    expect(preallocGateVerdict(tenth)).toMatchObject({ open: true, hits: 1, saved: 400, cost: 400 });
    // None in twelve: nothing saved, 480 spent.
    const none = Array.from({ length: 12 }, () => settled(false));
    const closed = preallocGateVerdict(none);
    expect(closed).toMatchObject({ open: false, hits: 0, saved: 0, cost: 480 });
    expect(closed.reason).toMatch(/do not pay/);
    // Only the newest `window` count: two new hits ahead of the misses open it again.
    expect(preallocGateVerdict([settled(true), settled(true), ...none]).open).toBe(true);
    expect(preallocGateVerdict([...none, settled(true), settled(true)]).open).toBe(false);
  });

  it("a closed gate turns a decision to prepare into a shadow and leaves the others as they are", () => {
    const prepare = decidePrealloc(candidate, 0, { aggressiveness: 0.5 });
    expect(prepare.prepare).toBe(true);
    const closed = preallocGateVerdict(Array.from({ length: 6 }, () => settled(false)));
    const gated = gatePreallocDecision(prepare, closed);
    expect(gated).toMatchObject({ prepare: false, shadow: true });
    expect(gated.reason).toMatch(/skill gate closed/);
    expect(gated.fallbacksIfReactive).toBe(prepare.fallbacksIfReactive);
    expect(gatePreallocDecision(prepare, preallocGateVerdict([]))).toMatchObject({ prepare: true, shadow: false });
    const declined = decidePrealloc(candidate, 0, { aggressiveness: 0 });
    expect(gatePreallocDecision(declined, closed)).toMatchObject({ prepare: false, shadow: false, reason: declined.reason });
  });

  it("a shadow's surge came when the range's writes passed the model's surge label", () => {
    const label = { usualPerSec: 2, surgeFactor: 5, minSurgeEvents: 50, stepSec: 5 };
    expect(shadowSurged({ ...label, peakPerSec: 12 })).toBe(true);
    // Five times usual, but fewer than 50 events in a step.
    expect(shadowSurged({ ...label, peakPerSec: 9 })).toBe(false);
    // 50 events in a step, but a busy range's usual load.
    expect(shadowSurged({ ...label, usualPerSec: 20, peakPerSec: 12 })).toBe(false);
  });

  it("measures a range's writes over whatever shardlets hold it now, a wider one by its share", () => {
    // The range [100, 200) after a split at 150 and a merge of [200, 400) with its left part.
    const shardlets = [
      { lo: 0, hi: 100, writeRate: 1_000 },
      { lo: 100, hi: 150, writeRate: 40 },
      { lo: 150, hi: 200, writeRate: 60 },
      { lo: 180, hi: 400, writeRate: 22 },
    ];
    expect(rangeWriteRate(shardlets, [100, 200])).toBeCloseTo(40 + 60 + 22 * (20 / 220), 9);
    expect(rangeWriteRate(shardlets, [400, 500])).toBe(0);
  });
});
