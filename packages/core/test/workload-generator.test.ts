import { describe, expect, it } from "vitest";
import { keyHash } from "../src/hash.ts";
import { DEFAULT_INGEST_LIMITS } from "../src/limits.ts";
import { validateBatch } from "../src/validation.ts";
import { burstKeys, burstRate, type Burst } from "../src/workload/bursts.ts";
import { BASE_TYPE_MIX, WORKLOAD_EVENT_TYPES } from "../src/workload/events.ts";
import { WorkloadGenerator } from "../src/workload/generator.ts";
import { resolveRhythm, rhythmBounds, rhythmClock, rhythmRate } from "../src/workload/rhythm.ts";

/** The workload's shape over time: the daily and weekly rhythm, bursts, and the generator built on them. */
describe("rhythm", () => {
  const opts = resolveRhythm({ baseRate: 100, dayMs: 1000, originMs: 5000 });

  it("stays within its bounds, reaches both, and averages to the base rate over a week", () => {
    const { min, max } = rhythmBounds(opts);
    expect(min).toBeCloseTo(100 * 0.4 * 0.8);
    expect(max).toBeCloseTo(100 * 1.6 * 1.2);
    let lo = Infinity;
    let hi = -Infinity;
    let sum = 0;
    const steps = 7 * 1000;
    for (let i = 0; i < steps; i++) {
      const r = rhythmRate(opts.originMs + i, opts);
      lo = Math.min(lo, r);
      hi = Math.max(hi, r);
      sum += r;
    }
    expect(lo).toBeGreaterThanOrEqual(min - 1e-9);
    expect(hi).toBeLessThanOrEqual(max + 1e-9);
    expect(lo).toBeLessThan(min * 1.001);
    expect(hi).toBeGreaterThan(max * 0.999);
    expect(sum / steps).toBeCloseTo(100, 6);
  });

  it("peaks in the afternoon and is quiet at night; weekends are quieter than mid-week", () => {
    const at = (day: number, frac: number) => rhythmRate(opts.originMs + (day + frac) * opts.dayMs, opts);
    expect(at(2, opts.peakAt)).toBeGreaterThan(at(2, opts.peakAt + 0.5) * 3);
    expect(at(2, 0.5)).toBeGreaterThan(at(6, 0.5));
    expect(rhythmClock(opts.originMs + 9.25 * opts.dayMs, opts)).toEqual({ day: 9, dayOfWeek: 2, timeOfDay: 0.25 });
  });

  it("rejects out-of-range options", () => {
    expect(() => resolveRhythm({ dailyAmplitude: 1 })).toThrow(/dailyAmplitude/);
    expect(() => resolveRhythm({ dayMs: 0 })).toThrow(/dayMs/);
    expect(() => resolveRhythm({ baseRate: -1 })).toThrow(/baseRate/);
  });
});

describe("bursts", () => {
  it("shape rises fast and decays to zero", () => {
    const b: Burst = { index: 0, startMs: 100, endMs: 200, peakRate: 50, hashLo: 0, hashHi: 10 };
    expect(burstRate(b, 99)).toBe(0);
    expect(burstRate(b, 115)).toBeCloseTo(50);
    expect(burstRate(b, 150)).toBeGreaterThan(0);
    expect(burstRate(b, 200)).toBe(0);
  });

  it("keys all hash into the burst's window", () => {
    const b: Burst = { index: 3, startMs: 0, endMs: 1, peakRate: 1, hashLo: 123_456_789, hashHi: 123_456_789 + 2 ** 21 };
    const keys = burstKeys(b, 12);
    expect(new Set(keys).size).toBe(12);
    for (const k of keys) {
      const h = keyHash(k);
      expect(h >= b.hashLo && h < b.hashHi).toBe(true);
    }
  });

  it("occur about `chance` times per slot and concentrate events on a narrow hash range", () => {
    const g = new WorkloadGenerator({ seed: 11, rhythm: { dayMs: 60_000 }, bursts: { chance: 0.5, slotMs: 10_000, durationMs: 2000 } });
    let bursts = 0;
    let maxRatio = 0;
    let sample: Burst | null = null;
    for (let slot = 0; slot < 400; slot++) {
      let found: Burst | null = null;
      for (let t = slot * 10_000; t < (slot + 1) * 10_000 && !found; t += 100) found = g.burstAt(t);
      if (found) {
        bursts++;
        sample ??= found;
        const mid = found.startMs + (found.endMs - found.startMs) * 0.15;
        maxRatio = Math.max(maxRatio, g.rateAt(mid) / rhythmRate(mid, g.options.rhythm));
      }
    }
    expect(bursts).toBeGreaterThan(160);
    expect(bursts).toBeLessThan(240);
    expect(maxRatio).toBeGreaterThan(2);

    const b = sample!;
    const peak = Math.floor(b.startMs + (b.endMs - b.startMs) * 0.15);
    const events = g.nextBatch(2000, peak);
    const inWindow = events.filter((e) => {
      const h = keyHash(e.key);
      return h >= b.hashLo && h < b.hashHi;
    }).length;
    const expectedShare = burstRate(b, peak) / g.rateAt(peak);
    expect(Math.abs(inWindow / events.length - expectedShare)).toBeLessThan(0.05);
  });
});

describe("WorkloadGenerator", () => {
  it("is deterministic for a seed", () => {
    const run = (seed: number | string) => {
      const g = new WorkloadGenerator({ seed, drift: { everyMs: 5000, step: 7 } });
      return [...g.nextBatch(300), ...g.nextBatch(200, 1_000_000), ...g.nextBatch(100)];
    };
    expect(run("same")).toEqual(run("same"));
    expect(run(1)).toEqual(run(1));
    expect(JSON.stringify(run(1))).not.toEqual(JSON.stringify(run(2)));
  });

  it("gives unique ids and uses the id prefix", () => {
    const g = new WorkloadGenerator({ seed: 3, idPrefix: "run42" });
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) for (const e of g.nextBatch(1000)) ids.add(e.id);
    expect(ids.size).toBe(20_000);
    expect([...ids].every((id) => id.startsWith("run42-"))).toBe(true);
    expect(g.generated).toBe(20_000);
  });

  it("produces batches the edge accepts", () => {
    const g = new WorkloadGenerator({ seed: 4 });
    const events = g.nextBatch(DEFAULT_INGEST_LIMITS.maxBatchEvents);
    const valid = validateBatch({ events }, { limits: DEFAULT_INGEST_LIMITS, keyField: "user", now: 0 });
    expect(valid).toHaveLength(events.length);
    for (const e of events) {
      expect(e.payload.user).toBe(e.key);
      expect(JSON.stringify(e.payload).length).toBeLessThan(400);
    }
  });

  it("has a plausible, correlated type mix", () => {
    const g = new WorkloadGenerator({ seed: 5, bursts: false });
    const counts = new Map<string, number>();
    const events = g.nextBatch(50_000);
    for (const e of events) counts.set(e.type, (counts.get(e.type) ?? 0) + 1);
    for (const t of WORKLOAD_EVENT_TYPES) expect(counts.get(t) ?? 0).toBeGreaterThan(0);
    const share = (t: string) => (counts.get(t) ?? 0) / events.length;
    expect(share("page_view")).toBeGreaterThan(0.3);
    expect(share("payment")).toBeLessThan(0.1);
    expect(share("refund")).toBeLessThan(share("payment"));
    expect(Math.abs(Object.values(BASE_TYPE_MIX).reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-9);

    // A checkout is followed by a payment of the same key far more often than the base mix says.
    const lastType = new Map<string, string>();
    let afterCheckout = 0;
    let paymentAfterCheckout = 0;
    for (const e of events) {
      if (lastType.get(e.key) === "checkout") {
        afterCheckout++;
        if (e.type === "payment") paymentAfterCheckout++;
      }
      lastType.set(e.key, e.type);
    }
    expect(paymentAfterCheckout / afterCheckout).toBeGreaterThan(0.3);
  });

  it("skews keys by Zipf and drifts the hot set", () => {
    const g = new WorkloadGenerator({ seed: 6, keys: 1000, zipfS: 1.2, bursts: false, drift: { everyMs: 10_000, step: 100 } });
    const hottest = (events: { key: string }[]) => {
      const c = new Map<string, number>();
      for (const e of events) c.set(e.key, (c.get(e.key) ?? 0) + 1);
      return [...c.entries()].sort((a, b) => b[1] - a[1])[0]!;
    };
    const [k0, n0] = hottest(g.nextBatch(20_000, 0));
    expect(k0).toBe("user-0");
    expect(Math.abs(n0 / 20_000 - g.zipf.probability(0))).toBeLessThan(0.02);
    expect(hottest(g.nextBatch(20_000, 25_000))[0]).toBe("user-200");
  });

  it("follows the rhythm in event time and counts what is due in real time", () => {
    const g = new WorkloadGenerator({ seed: 7, bursts: false, rhythm: { baseRate: 1000, dayMs: 60_000 } });
    const peakAt = g.options.rhythm.peakAt * 60_000;
    const troughAt = peakAt + 30_000;
    const span = (at: number) => {
      const g2 = new WorkloadGenerator({ ...g.options, startMs: at });
      const batch = g2.nextBatch(500);
      return batch[batch.length - 1]!.ts - batch[0]!.ts;
    };
    // Same number of events take ~4x longer at night than at the afternoon peak.
    expect(span(troughAt) / span(peakAt)).toBeGreaterThan(3);

    expect(g.due(1_000_000)).toBe(0);
    let total = 0;
    for (let t = 1_000_100; t <= 1_010_000; t += 100) total += g.due(t);
    let expected = 0;
    for (let t = 1_000_000; t < 1_010_000; t += 1) expected += g.rateAt(t) / 1000;
    expect(Math.abs(total - expected)).toBeLessThan(2);
  });

  it("rejects bad options", () => {
    expect(() => new WorkloadGenerator({ keys: 0 })).toThrow(RangeError);
    expect(() => new WorkloadGenerator({ drift: { everyMs: 0, step: 1 } })).toThrow(RangeError);
    expect(() => new WorkloadGenerator({ bursts: { chance: 2 } })).toThrow(/chance/);
    expect(() => new WorkloadGenerator().nextBatch(-1)).toThrow(RangeError);
  });
});
