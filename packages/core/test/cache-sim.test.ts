import { describe, expect, it } from "vitest";
import {
  correlatedTrace,
  createRng,
  simulateBelady,
  simulateLru,
  simulatePredictive,
  ZipfSampler,
  type CacheSimResult,
  type CacheTraceEvent,
} from "../src/index.ts";

/** Reads only: `ids` in order, one per ms. */
const reads = (ids: readonly string[], size: (id: string) => number = () => 1): CacheTraceEvent[] =>
  ids.map((shardletId, t) => ({ t, kind: "read", shardletId, bytes: size(shardletId) }));

/** Zipf-popular reads over `objects` ids. */
function randomTrace(seed: number, n: number, objects: number, size: (id: string) => number): CacheTraceEvent[] {
  const rng = createRng(seed);
  const zipf = new ZipfSampler(objects, 0.8, rng);
  return reads(
    Array.from({ length: n }, () => `o-${zipf.sample()}`),
    size,
  );
}

/** The most hits any demand-fetch policy gets on unit-size objects with room for `k`: every eviction choice tried. */
function bruteForceHits(ids: readonly string[], k: number): number {
  const best = (i: number, cache: ReadonlySet<string>): number => {
    if (i === ids.length) return 0;
    const id = ids[i]!;
    if (cache.has(id)) return 1 + best(i + 1, cache);
    if (cache.size < k) return best(i + 1, new Set([...cache, id]));
    let most = 0;
    for (const victim of cache) {
      const next = new Set(cache);
      next.delete(victim);
      next.add(id);
      most = Math.max(most, best(i + 1, next));
    }
    return most;
  };
  return best(0, new Set());
}

function consistent(r: CacheSimResult, trace: readonly CacheTraceEvent[]): void {
  const rs = trace.filter((e) => e.kind === "read");
  expect(r.hits + r.misses).toBe(rs.length);
  expect(r.bytesRead).toBe(rs.reduce((s, e) => s + (e.kind === "read" ? e.bytes : 0), 0));
  expect(r.bytesFromCache).toBeLessThanOrEqual(r.bytesRead);
  expect(r.hitRatio).toBeCloseTo(r.hits / rs.length, 12);
  expect(r.prefetchedWastedBytes).toBeLessThanOrEqual(r.prefetchedBytes);
}

describe("cache policies", () => {
  it("LRU keeps the most recent objects that fit the byte budget", () => {
    const trace = reads(["a", "b", "a", "c", "b", "a", "a"], (id) => (id === "c" ? 2 : 1));
    // Budget 3: a b | a hit | c evicts b (LRU) | b evicts a | a evicts c | a hit.
    const r = simulateLru(trace, 3);
    expect([r.hits, r.misses]).toEqual([2, 5]);
    expect(r.bytesFromCache).toBe(2);
    consistent(r, trace);
    // An object larger than the budget is never cached.
    expect(simulateLru(reads(["big", "big"], () => 10), 5).hits).toBe(0);
  });

  it("Belady equals the brute-force optimum on tiny unit-size traces", () => {
    const rng = createRng(7);
    for (let n = 0; n < 150; n++) {
      const k = 2 + rng.int(2);
      const ids = Array.from({ length: 9 + rng.int(3) }, () => `o-${rng.int(k + 2)}`);
      expect(simulateBelady(reads(ids), k).hits, ids.join(" ")).toBe(bruteForceHits(ids, k));
    }
  });

  it("Belady has at least LRU's hit ratio on random traces", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const unit = randomTrace(seed, 3_000, 200, () => 1);
      expect(simulateBelady(unit, 20).hitRatio).toBeGreaterThanOrEqual(simulateLru(unit, 20).hitRatio);
      // Variable sizes: the Belady-size heuristic, not exact OPT, but far ahead of LRU in practice.
      const sizes = new Map<string, number>();
      const sizeRng = createRng(seed + 100);
      const sized = randomTrace(seed, 3_000, 200, (id) => sizes.get(id) ?? (sizes.set(id, 1 + sizeRng.int(20)), sizes.get(id)!));
      const belady = simulateBelady(sized, 200);
      const lru = simulateLru(sized, 200);
      consistent(belady, sized);
      expect(belady.hitRatio).toBeGreaterThan(lru.hitRatio);
    }
  });

  it("predictive prefetch beats LRU on a correlated trace, and accounts for what it fetched in vain", () => {
    const trace = correlatedTrace({ seed: 11 });
    const budget = 0.1 * trace.workingSetBytes;
    const lru = simulateLru(trace.events, budget);
    const opts = { stepMs: trace.stepMs, bandwidthBytesPerStep: budget / 4 };
    const predictive = simulatePredictive(trace.events, budget, { ...opts, threshold: 0.3 });
    consistent(predictive, trace.events);
    expect(predictive.hitRatio).toBeGreaterThan(1.1 * lru.hitRatio);
    expect(predictive.prefetchedBytes).toBeGreaterThan(0);
    // Every follow-up is uncertain (70%): some prefetches must go unread.
    expect(predictive.prefetchedWastedBytes).toBeGreaterThan(0.2 * predictive.prefetchedBytes);
    // A higher threshold fetches less ahead.
    const strict = simulatePredictive(trace.events, budget, { ...opts, threshold: 0.9 });
    expect(strict.prefetchedBytes).toBeLessThan(predictive.prefetchedBytes);
    // No bandwidth, no prefetch.
    expect(simulatePredictive(trace.events, budget, { ...opts, threshold: 0.3, bandwidthBytesPerStep: 0 }).prefetchedBytes).toBe(0);
  });

  it("traces every prefetch to the event that announced it and to how it ended, in step with the result's bytes", () => {
    const trace = correlatedTrace({ seed: 12, steps: 600 });
    const budget = 0.1 * trace.workingSetBytes;
    const opts = { stepMs: trace.stepMs, bandwidthBytesPerStep: budget / 4, threshold: 0.5 };
    const live = new Map<string, number>();
    let [fetched, read, unread] = [0, 0, 0];
    const writes = new Set(trace.events.filter((e) => e.kind === "write").map((e) => `${e.type}\t${e.t}`));
    const traced = simulatePredictive(trace.events, budget, {
      ...opts,
      tracer: {
        prefetched(id, bytes, now, cause) {
          expect(live.has(id)).toBe(false);
          // The cause is a real write, before the prefetch.
          expect(writes.has(`${cause.type}\t${cause.t}`)).toBe(true);
          expect(cause.t).toBeLessThanOrEqual(now);
          live.set(id, bytes);
          fetched += bytes;
        },
        settled(id, wasRead) {
          const bytes = live.get(id);
          expect(bytes).toBeDefined();
          live.delete(id);
          if (wasRead) read += bytes!;
          else unread += bytes!;
        },
      },
    });
    expect(live.size).toBe(0);
    expect(fetched).toBe(traced.prefetchedBytes);
    expect(read).toBeGreaterThan(0);
    expect(unread).toBe(traced.prefetchedWastedBytes);
    // Tracing observes: the same run without it gives the same figures.
    expect(simulatePredictive(trace.events, budget, opts)).toEqual(traced);
  });

  it("refuses a trace out of time order", () => {
    const trace: CacheTraceEvent[] = [
      { t: 5, kind: "read", shardletId: "a", bytes: 1 },
      { t: 4, kind: "read", shardletId: "b", bytes: 1 },
    ];
    expect(() => simulateLru(trace, 10)).toThrow(RangeError);
  });
});

describe("correlatedTrace", () => {
  it("is deterministic per seed, in time order, and plants what it says", () => {
    const a = correlatedTrace({ seed: 3, steps: 400 });
    expect(correlatedTrace({ seed: 3, steps: 400 }).events).toEqual(a.events);
    expect(correlatedTrace({ seed: 4, steps: 400 }).events).not.toEqual(a.events);
    for (let i = 1; i < a.events.length; i++) expect(a.events[i]!.t).toBeGreaterThanOrEqual(a.events[i - 1]!.t);
    expect(a.shardlets).toHaveLength(20 * 8);
    expect(a.workingSetBytes).toBe(a.shardlets.reduce((s, x) => s + x.bytes, 0));
    // Sizes spread (lognormal), not one value.
    const sizes = a.shardlets.map((s) => s.bytes).sort((x, y) => x - y);
    expect(sizes[sizes.length - 1]! / sizes[0]!).toBeGreaterThan(10);
    // One change halfway: some precursors announce other shardlets of their tenant after it.
    expect(a.changeSteps).toEqual([200]);
    const changed = a.precursors.filter((p) => p.announces[0]!.join() !== p.announces[1]!.join());
    expect(changed.length).toBeGreaterThan(0);
    for (const p of a.precursors) for (const epoch of p.announces) for (const id of epoch) expect(id.startsWith(`tenant-${p.tenant}/`)).toBe(true);
    // A precursor's announced shardlets are read by its tenant's partition `lag` steps later, mostly.
    const pre = a.precursors[0]!;
    const stepOf = (t: number) => Math.floor(t / a.stepMs);
    const occurrences = a.events.filter((e) => e.kind === "write" && e.type === pre.type && stepOf(e.t) < 190).map((e) => stepOf(e.t));
    expect(occurrences.length).toBeGreaterThan(3);
    const followed = occurrences.filter((s) =>
      a.events.some((e) => e.kind === "read" && e.shardletId === pre.announces[0]![0] && e.target === "consumer-0" && Math.abs(stepOf(e.t) - (s + pre.lagSteps)) <= 1),
    );
    expect(followed.length / occurrences.length).toBeGreaterThan(0.4);
  });

  it("reads an occurrence's announced shardlets all or none, or each on its own with followTogether off", () => {
    // One tenant, one precursor, no background or noise: every targeted read is a follow-up.
    const opts = { steps: 600, tenants: 1, precursorsPerTenant: 1, precursorRate: 0.2, lagSteps: [2, 2] as const, lagJitter: 0, noiseTypes: 0, backgroundReadsPerStep: 0, patternChanges: 0 };
    const shardletsReadPerStep = (together: boolean) => {
      const tr = correlatedTrace({ seed: 8, ...opts, followTogether: together });
      const byStep = new Map<number, Set<string>>();
      for (const e of tr.events) {
        if (e.kind !== "read") continue;
        const step = Math.floor(e.t / tr.stepMs);
        byStep.set(step, (byStep.get(step) ?? new Set()).add(e.shardletId));
      }
      return [...byStep.values()].map((s) => s.size);
    };
    // Together, a step's reads cover all three announced shardlets, from one occurrence or more.
    expect(shardletsReadPerStep(true).every((n) => n === 3)).toBe(true);
    expect(shardletsReadPerStep(false).some((n) => n < 3)).toBe(true);
  });

  it("scales arrivals with the rate multiplier", () => {
    const quiet = correlatedTrace({ seed: 5, steps: 300, rateMultiplier: [0.5] });
    const busy = correlatedTrace({ seed: 5, steps: 300, rateMultiplier: [2] });
    expect(busy.events.length).toBeGreaterThan(3 * quiet.events.length);
    const alternating = correlatedTrace({ seed: 5, steps: 300, rateMultiplier: [0, 1], noiseTypes: 0, precursorRate: 0 });
    // Only background reads, and none in the even (silent) steps.
    expect(alternating.events.every((e) => Math.floor(e.t / alternating.stepMs) % 2 === 1)).toBe(true);
  });
});
