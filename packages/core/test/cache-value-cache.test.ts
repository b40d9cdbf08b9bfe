import { describe, expect, it } from "vitest";
import { createRng, spreadChance, ValueCache } from "../src/index.ts";

/** The eviction policy shared by the edge's shard cache and the cache benchmark. */

const H = 10_000;

function cache(maxBytes: number) {
  const evicted: Array<{ key: string; unread: boolean }> = [];
  const early: string[] = [];
  const c = new ValueCache<string>({
    maxBytes,
    horizonMs: H,
    onEvict: (key, _v, how) => {
      evicted.push({ key, unread: how.unreadPrefetch });
      if (how.early) early.push(key);
    },
  });
  return { c, evicted, early };
}

describe("ValueCache", () => {
  it("never lets a prefetch evict an entry worth at least as much per byte (random operations)", () => {
    const rng = createRng("value-cache-rule");
    for (let round = 0; round < 20; round++) {
      const { c, evicted } = cache(1_000);
      let now = 0;
      for (let op = 0; op < 400; op++) {
        now += rng.int(3 * H);
        const key = `k${rng.int(30)}`;
        const bytes = 20 + rng.int(200);
        if (rng.chance(0.5)) {
          if (!c.read(key, now)) c.fill(key, key, bytes, now);
          continue;
        }
        if (c.has(key)) continue;
        const prediction = { p: rng.next(), until: now + (1 + rng.int(4)) * H };
        const before = new Map([...c.entries()].map(([k]) => [k, c.valuePerByte(k, now)]));
        const admitted = c.admits(key, bytes, now, prediction);
        evicted.length = 0;
        expect(c.fill(key, key, bytes, now, prediction)).toBe(admitted);
        if (!admitted) {
          expect(evicted).toEqual([]);
          continue;
        }
        const own = c.valuePerByte(key, now);
        for (const e of evicted) expect(before.get(e.key)!).toBeLessThan(own);
        expect(c.bytes).toBeLessThanOrEqual(1_000);
      }
      expect(c.skipped).toBeGreaterThan(0);
    }
  });

  it("refuses a prefetch that only more valuable entries could make room for, leaving them be", () => {
    const { c, evicted } = cache(100);
    c.fill("hot", "hot", 50, 0);
    for (let t = 1; t <= 10; t++) c.read("hot", t * H);
    c.fill("warm", "warm", 50, 10 * H);
    const now = 10 * H + 1;
    // Worth less per byte than either resident: refused, counted, nothing evicted.
    expect(c.fill("guess", "guess", 50, now, { p: 0.05, until: now + 4 * H })).toBe(false);
    expect(c.skipped).toBe(1);
    expect(evicted).toEqual([]);
    expect(c.has("hot") && c.has("warm")).toBe(true);
    // A read due within the step outranks the once-read entry; only the cheapest goes.
    expect(c.readChance("warm", now)).toBeLessThan(c.readChance("hot", now));
    expect(c.readChance("hot", now)).toBeLessThan(0.9);
    expect(c.fill("due", "due", 50, now, { p: 0.9, until: now + H })).toBe(true);
    expect(evicted).toEqual([{ key: "warm", unread: false }]);
    expect(c.has("hot")).toBe(true);
  });

  it("evicts least recently used first among equal values, and is LRU without predictions", () => {
    const { c, evicted } = cache(300);
    // Filled at the same moment and read again within it: equal values, recency alone differs.
    for (const k of ["a", "b", "c"]) c.fill(k, k, 100, 0);
    c.read("a", 5);
    c.read("c", 6);
    c.fill("d", "d", 100, 7);
    expect(evicted.map((e) => e.key)).toEqual(["b"]);
    // One read each at different times: the least recent goes.
    const lru = cache(300);
    for (const [i, k] of ["x", "y", "z"].entries()) lru.c.fill(k, k, 100, i * H);
    lru.c.read("x", 3 * H - 1);
    lru.c.fill("w", "w", 100, 3 * H);
    lru.c.fill("v", "v", 100, 3 * H + 1);
    expect(lru.evicted.map((e) => e.key)).toEqual(["y", "z"]);
  });

  it("values a lapsed prediction at nothing, and reports a prefetch evicted unread", () => {
    const { c, evicted, early } = cache(200);
    c.fill("pre", "pre", 100, 0, { p: 0.9, until: H });
    c.fill("demand", "demand", 100, 0);
    expect(c.valuePerByte("pre", H / 2)).toBeGreaterThan(c.valuePerByte("demand", H / 2));
    expect(c.valuePerByte("pre", 2 * H)).toBe(0);
    c.fill("next", "next", 100, 2 * H);
    expect(evicted).toEqual([{ key: "pre", unread: true }]);
    // Its read had had its chance: not an early eviction.
    expect(early).toEqual([]);
    // Read before it goes: no longer a waste.
    c.fill("pre2", "pre2", 100, 3 * H, { p: 0.9, until: 4 * H });
    c.read("pre2", 3 * H + 1);
    c.delete("pre2");
    expect(evicted.at(-1)).toEqual({ key: "pre2", unread: false });
  });

  it("a refused extension of an entry leaves the entry as it was", () => {
    const { c } = cache(100);
    c.fill("a", "a1", 40, 0);
    for (let t = 1; t <= 5; t++) c.read("a", t * H);
    c.fill("b", "b1", 40, 5 * H);
    for (let t = 6; t <= 10; t++) c.read("b", t * H);
    expect(c.fill("a", "a2", 90, 10 * H, { p: 0.01, until: 11 * H })).toBe(false);
    expect([c.peek("a"), c.bytes]).toEqual(["a1", 80]);
  });
});

describe("spreadChance", () => {
  it("spreads a chance over a longer span evenly, and keeps it within one", () => {
    expect(spreadChance(0.5, H, H)).toBe(0.5);
    expect(spreadChance(0.5, H / 2, H)).toBe(0.5);
    expect(spreadChance(0.75, 2 * H, H)).toBeCloseTo(0.5, 12);
    expect(spreadChance(0, 2 * H, H)).toBe(0);
  });
});
