import { describe, expect, it } from "vitest";
import { cacheWindow, decidePinning, parsePlacementSettings, PIN_GRACE_RUNS, PinGuard, pinReward, PlacementBandit, ValueCache, type LivePin, type PinCandidate } from "../src/index.ts";

const settings = parsePlacementSettings({ leaveReward: 0.33, exploration: 0.5, maxPins: 2 });
// Unless told otherwise every miss is an evicted miss (one a longer-kept entry would have served).
const candidate = (over: Partial<PinCandidate>): PinCandidate => ({ streamId: "s", shardletId: "a", hits: 2, misses: 8, groups: 1, ...over, evictedMisses: over.evictedMisses ?? over.misses ?? 8 });
const pin = (over: Partial<LivePin>): LivePin => ({ streamId: "s", shardletId: "a", context: "reads:missed groups:some", runs: PIN_GRACE_RUNS, missRatioBefore: 0.8, hits: 9, misses: 1, displaced: 0, live: true, ...over, evictedMisses: over.evictedMisses ?? over.misses ?? 1 });

describe("pin rewards", () => {
  it("is the share of reads turned from evicted misses into hits, net of the reads the shield cost other entries", () => {
    expect(pinReward({ missRatioBefore: 0.8, hits: 9, misses: 1, evictedMisses: 1, displaced: 0 })).toBeCloseTo(0.7);
    // Ten reads since the pin; the shield is expected to have cost the rest of the cache 3.5 reads.
    expect(pinReward({ missRatioBefore: 0.8, hits: 9, misses: 1, evictedMisses: 1, displaced: 3.5 })).toBeCloseTo(0.35);
    // A pin whose own gain the others paid for in full earns nothing.
    expect(pinReward({ missRatioBefore: 0.8, hits: 9, misses: 1, evictedMisses: 1, displaced: 8 })).toBe(0);
    // Misses of events the cache never held (new events at the tail) are not the pin's.
    expect(pinReward({ missRatioBefore: 0.8, hits: 2, misses: 8, evictedMisses: 0, displaced: 0 })).toBeCloseTo(0.8);
    // Worse than before, or not read since: nothing.
    expect(pinReward({ missRatioBefore: 0.2, hits: 1, misses: 9, evictedMisses: 9, displaced: 0 })).toBe(0);
    expect(pinReward({ missRatioBefore: 0.8, hits: 0, misses: 0, evictedMisses: 0, displaced: 0 })).toBe(0);
  });
});

describe("pin decisions", () => {
  it("pins the shardlets missing most, up to the limit, and never one missing less often than leave earns", () => {
    const d = decidePinning(
      new PlacementBandit({ exploration: 0.5 }),
      [
        candidate({ shardletId: "few", hits: 1, misses: 2 }),
        candidate({ shardletId: "rarely", hits: 90, misses: 10 }),
        candidate({ shardletId: "tail", hits: 0, misses: 50, evictedMisses: 0 }),
        candidate({ shardletId: "b", misses: 20 }),
        candidate({ shardletId: "c", misses: 30 }),
        candidate({ shardletId: "d", misses: 10 }),
      ],
      [],
      settings,
    );
    expect(d.filter((x) => x.arm === "cache-pin").map((x) => x.shardletId)).toEqual(["c", "b"]);
    expect(d.some((x) => ["few", "rarely", "tail", "d"].includes(x.shardletId))).toBe(false);
    expect(d[0]).toMatchObject({ context: "reads:missed groups:some", missRatio: 30 / 32 });
    expect(decidePinning(new PlacementBandit(), [candidate({})], [], { ...settings, pinBudgetShare: 0 })).toEqual([]);
  });

  it("rewards live pins, keeps a young one, unpins one below leave after its grace runs and learns to leave", () => {
    const bandit = new PlacementBandit({ exploration: 0.1 });
    const bad = { missRatioBefore: 0.6, hits: 4, misses: 6 };
    for (let runs = 1; runs < PIN_GRACE_RUNS; runs++) expect(decidePinning(bandit, [], [pin({ ...bad, runs })], settings)).toEqual([]);
    const d = decidePinning(bandit, [], [pin(bad)], settings);
    expect(d).toEqual([expect.objectContaining({ arm: "unpin", shardletId: "a", reward: 0 })]);
    expect(d[0]!.reason).toMatch(/below the bar 0.33/);
    expect(bandit.values("reads:missed groups:some")["cache-pin"]).toMatchObject({ pulls: PIN_GRACE_RUNS, mean: 0 });
    bandit.reward("reads:missed groups:some", "leave", settings.leaveReward);
    expect(decidePinning(bandit, [candidate({ shardletId: "x" })], [], settings)[0]).toMatchObject({ arm: "leave", shardletId: "x" });
  });

  it("keeps a pin that earns, and unpins it when its shardlet is gone, when pins are off, or past a lowered limit", () => {
    const good = pin({});
    expect(decidePinning(new PlacementBandit(), [], [good], settings)).toEqual([]);
    expect(decidePinning(new PlacementBandit(), [], [pin({ live: false })], settings)[0]!.reason).toMatch(/gone/);
    expect(decidePinning(new PlacementBandit(), [], [good], { ...settings, pinBudgetShare: 0 })[0]!.reason).toMatch(/turned off/);
    const three = [pin({ shardletId: "a", hits: 6, misses: 4 }), pin({ shardletId: "b" }), pin({ shardletId: "c", hits: 8, misses: 2 })];
    const over = decidePinning(new PlacementBandit(), [], three, settings);
    expect(over.map((x) => [x.arm, x.shardletId])).toEqual([["unpin", "a"]]);
    expect(over[0]!.reason).toMatch(/over the limit of 2 pins/);
    // A pin not read since is not rewarded (nothing was measured), and goes after its grace runs.
    const idle = new PlacementBandit();
    expect(decidePinning(idle, [], [pin({ hits: 0, misses: 0 })], settings)[0]!.reason).toMatch(/not read since/);
    expect(idle.values("reads:missed groups:some")["cache-pin"].pulls).toBe(0);
  });
});

describe("cache window", () => {
  it("sums the edges' counts since the previous run per shardlet, and charges shielded bytes at each edge's going rate", () => {
    const edge = (edgeId: string, hits: number, misses: number, bytes = 0, shielded = true) => ({
      edgeId,
      maxBytes: 1000,
      marginalValuePerByte: 0.001,
      horizonMs: 10_000,
      shardlets: [{ streamId: "s", shardletId: "a", hits, misses, evictedMisses: Math.floor(misses / 2) }],
      pinned: bytes > 0 ? [{ streamId: "s", shardletId: "a", bytes, shielded }] : [],
    });
    const first = cacheWindow({}, [edge("e1", 2, 3), edge("e2", 1, 1)], 60_000);
    expect(first.reads.get("a")).toMatchObject({ hits: 3, misses: 4, evictedMisses: 1 });
    // e1 moved on, e2 restarted its counters, e3 is new.
    const second = cacheWindow(first.seen, [edge("e1", 10, 4, 100), edge("e2", 1, 0), edge("e3", 0, 2, 50), edge("e4", 0, 0, 400, false)], 60_000);
    expect(second.reads.get("a")).toMatchObject({ hits: 9, misses: 3, evictedMisses: 2 });
    // 150 shielded bytes x 0.001 reads per byte and horizon x 6 horizons; e4's unshielded bytes cost nothing.
    expect(second.displaced.get("a")).toBeCloseTo(0.9);
    expect(Object.keys(second.seen)).toEqual(["e1", "e2", "e3", "e4"]);
  });
});

describe("pinned entries in the value cache", () => {
  const make = (share: number) => {
    let guard: PinGuard | null = null;
    const cache = new ValueCache<string>({ maxBytes: 100, horizonMs: 10, shielded: (now) => guard!.shielded(now) });
    guard = new PinGuard({ maxBytes: 100, bytesOf: (k) => (cache.has(k) ? 20 : undefined), valuePerByte: (k, now) => cache.valuePerByte(k, now) });
    guard.set(["p"], share);
    return { cache, guard };
  };

  it("keeps a pinned entry through a flood of reads of others within the budget, and lets it go once unpinned", () => {
    const { cache, guard } = make(0.25);
    cache.fill("p", "pinned", 20, 0);
    for (let i = 0; i < 50; i++) cache.fill(`k${i}`, "other", 20, i);
    expect(cache.has("p")).toBe(true);
    expect(cache.has("k0")).toBe(false);
    expect(cache.fill("pre", "prefetch", 20, 60, { p: 1, until: 70 })).toBe(true);
    expect(cache.has("p")).toBe(true);
    guard.set([], 0.25);
    for (let i = 50; i < 60; i++) cache.fill(`k${i}`, "other", 20, i + 20);
    expect(cache.has("p")).toBe(false);
  });

  it("does not shield a pinned entry larger than the budget", () => {
    const { cache } = make(0.1);
    cache.fill("p", "pinned", 20, 0);
    for (let i = 0; i < 10; i++) cache.fill(`k${i}`, "other", 20, i + 1);
    expect(cache.has("p")).toBe(false);
  });
});
