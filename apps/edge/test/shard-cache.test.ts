import { HASH_SPACE, keyHash, type StoredEvent } from "@shardcast/core";
import { describe, expect, it } from "vitest";
import { eventBytes } from "../src/cache/cache-entry.ts";
import { ShardCache } from "../src/cache/shard-cache.ts";

/** The shard cache's bookkeeping: what an entry may serve, how it extends, and its byte budget. */

function ev(seq: number, key: string): StoredEvent {
  return { streamId: "s", seq, shardletId: "a", key, id: `e${seq}`, type: "t", ts: seq, payload: { seq } };
}

/** Keys whose hashes fall in the lower and the upper half of the hash space. */
function keysIn(lo: number, hi: number, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) {
    const k = `k${i}`;
    const h = keyHash(k);
    if (h >= lo && h < hi) out.push(k);
  }
  return out;
}

const HALF = Math.floor(HASH_SPACE / 2);
const low = keysIn(0, HALF, 50);
const high = keysIn(HALF, HASH_SPACE, 50);
const events = Array.from({ length: 100 }, (_, i) => ev(i + 1, i % 2 === 0 ? low[i >> 1]! : high[i >> 1]!));

describe("ShardCache", () => {
  it("serves a part only when every segment starts inside the entry, and only events past each segment", () => {
    const cache = new ShardCache({ maxBytes: 1 << 20 });
    cache.fill({ streamId: "s", shardletId: "a", epoch: 1, lo: 0, hi: HASH_SPACE, from: 20, to: 80, events });
    // Below the entry's start: the cache cannot know what lies between.
    expect(cache.lookup("s", 0, HASH_SPACE, [{ lo: 0, hi: HASH_SPACE, after: 10 }])).toBeNull();
    // At or past its end: nothing to serve.
    expect(cache.lookup("s", 0, HASH_SPACE, [{ lo: 0, hi: HASH_SPACE, after: 80 }])).toBeNull();
    const hit = cache.lookup("s", 0, HASH_SPACE, [{ lo: 0, hi: HASH_SPACE, after: 30 }])!;
    expect(hit.events.map((e) => e.seq)).toEqual(events.filter((e) => e.seq > 30 && e.seq <= 80).map((e) => e.seq));
    // Two segments at different positions (a merged cursor): each filtered by its own.
    const two = cache.lookup("s", 0, HASH_SPACE, [
      { lo: 0, hi: HALF, after: 60 },
      { lo: HALF, hi: HASH_SPACE, after: 40 },
    ])!;
    const expected = events.filter((e) => e.seq <= 80 && (keyHash(e.key) < HALF ? e.seq > 60 : e.seq > 40)).map((e) => e.seq);
    expect(two.events.map((e) => e.seq)).toEqual(expected);
  });

  it("gives a paging reader at most what a page can take, never ending inside a position", () => {
    const cache = new ShardCache({ maxBytes: 1 << 20 });
    // Two events at position 45 (an overflow copy's neighbour, say): a cut there must keep both.
    const twin = { ...ev(45, low[40]!), id: "twin" };
    const withTwin = [...events.slice(0, 45), twin, ...events.slice(45)];
    cache.fill({ streamId: "s", shardletId: "a", epoch: 1, lo: 0, hi: HASH_SPACE, from: 0, to: 100, events: withTwin });
    const all = cache.lookup("s", 0, HASH_SPACE, [{ lo: 0, hi: HASH_SPACE, after: 30 }])!.events;
    const capped = cache.lookup("s", 0, HASH_SPACE, [{ lo: 0, hi: HASH_SPACE, after: 30 }], 11)!.events;
    expect(capped.map((e) => e.seq)).toEqual(all.slice(0, 11).map((e) => e.seq));
    // The 15th event lies at position 45, as does the 16th: both come.
    const atTwin = cache.lookup("s", 0, HASH_SPACE, [{ lo: 0, hi: HASH_SPACE, after: 30 }], 15)!.events;
    expect(atTwin.map((e) => e.seq)).toEqual(all.slice(0, 16).map((e) => e.seq));
    expect(atTwin.slice(-2).map((e) => e.seq)).toEqual([45, 45]);
  });

  it("serves a split's child from its parent's entry, filtered to the child's range", () => {
    const cache = new ShardCache({ maxBytes: 1 << 20 });
    cache.fill({ streamId: "s", shardletId: "parent", epoch: 3, lo: 0, hi: HASH_SPACE, from: 0, to: 100, events });
    const child = cache.lookup("s", HALF, HASH_SPACE, [{ lo: HALF, hi: HASH_SPACE, after: 0 }])!;
    expect(child.events.every((e) => keyHash(e.key) >= HALF)).toBe(true);
    expect(child.events).toHaveLength(50);
    // Another stream never sees it.
    expect(cache.lookup("other", 0, HASH_SPACE, [{ lo: 0, hi: HASH_SPACE, after: 0 }])).toBeNull();
  });

  it("extends an entry with the tail read after it and ignores events outside the range or interval", () => {
    const cache = new ShardCache({ maxBytes: 1 << 20 });
    cache.fill({ streamId: "s", shardletId: "a", epoch: 1, lo: 0, hi: HALF, from: 0, to: 50, events: events.filter((e) => e.seq <= 50) });
    cache.fill({ streamId: "s", shardletId: "a", epoch: 2, lo: 0, hi: HALF, from: 50, to: 90, events });
    expect(cache.reach("s", "a")).toEqual({ from: 0, to: 90 });
    const hit = cache.lookup("s", 0, HALF, [{ lo: 0, hi: HALF, after: 0 }])!;
    expect(hit.events.map((e) => e.seq)).toEqual(events.filter((e) => e.seq <= 90 && keyHash(e.key) < HALF).map((e) => e.seq));
    expect(hit.entry.epoch).toBe(2);
  });

  it("keeps to its byte budget, dropping the oldest events of an oversized entry and the least valuable entries per byte", () => {
    const one = eventBytes(events[0]!);
    const cache = new ShardCache({ maxBytes: one * 40, maxEntryShare: 0.5 });
    cache.fill({ streamId: "s", shardletId: "a", epoch: 1, lo: 0, hi: HASH_SPACE, from: 0, to: 100, events });
    expect(cache.bytes).toBeLessThanOrEqual(one * 40);
    const reach = cache.reach("s", "a")!;
    // The oldest were dropped, and `from` moved past them so the entry stays complete.
    expect(reach.from).toBeGreaterThan(0);
    expect(cache.lookup("s", 0, HASH_SPACE, [{ lo: 0, hi: HASH_SPACE, after: reach.from - 1 }])).toBeNull();
    const hit = cache.lookup("s", 0, HASH_SPACE, [{ lo: 0, hi: HASH_SPACE, after: reach.from }])!;
    expect(hit.events.map((e) => e.seq)).toEqual(events.filter((e) => e.seq > reach.from).map((e) => e.seq));
    // More entries than the budget holds: the least valuable per byte go (read as often, "a" is the largest).
    cache.fill({ streamId: "s", shardletId: "b", epoch: 1, lo: 0, hi: HASH_SPACE, from: 100, to: 112, events: Array.from({ length: 12 }, (_, i) => ev(101 + i, low[i]!)) });
    cache.fill({ streamId: "s", shardletId: "c", epoch: 1, lo: 0, hi: HASH_SPACE, from: 120, to: 132, events: Array.from({ length: 12 }, (_, i) => ev(121 + i, high[i]!)) });
    expect(cache.bytes).toBeLessThanOrEqual(one * 40);
    expect(cache.reach("s", "a")).toBeNull();
    expect(cache.list().map((e) => e.shardletId)).toEqual(["c", "b"]);
  });

  it("counts a prefetched entry evicted unread as waste, and one read before eviction as used", () => {
    const wasted: string[] = [];
    const one = eventBytes(events[0]!);
    const cache = new ShardCache({ maxBytes: one * 30, maxEntryShare: 1, onWastedPrefetch: (e) => wasted.push(e.shardletId) });
    const prediction = { p: 0.5, until: Date.now() + 60_000 };
    cache.fill({ streamId: "s", shardletId: "read", epoch: 1, lo: 0, hi: HASH_SPACE, from: 0, to: 10, events: events.slice(0, 10), prediction });
    cache.fill({ streamId: "s", shardletId: "unread", epoch: 1, lo: 0, hi: HALF, from: 10, to: 20, events: events.slice(10, 20), prediction });
    expect(cache.lookup("s", 0, HASH_SPACE, [{ lo: 0, hi: HASH_SPACE, after: 0 }])).not.toBeNull();
    cache.dropStream("s");
    expect(wasted).toEqual(["unread"]);
    expect(cache.entries).toBe(0);
  });

  it("never lets a prefetch evict an entry worth more per byte, and keeps an announced entry over a once-read one", () => {
    let now = 1_000_000;
    const wasted: string[] = [];
    const one = eventBytes(events[0]!);
    const cache = new ShardCache({ maxBytes: one * 25, maxEntryShare: 1, clock: () => now, onWastedPrefetch: (e) => wasted.push(e.shardletId) });
    const fill = (shardletId: string, from: number, prediction?: { p: number; until: number }) =>
      cache.fill({ streamId: "s", shardletId, epoch: 1, lo: 0, hi: HASH_SPACE, from, to: from + 10, events: events.slice(from, from + 10), prediction });
    // "busy" is read every step; "once" was read once.
    expect(fill("busy", 0)).toBe(true);
    for (let i = 0; i < 8; i++) {
      now += 10_000;
      expect(cache.lookup("s", 0, HASH_SPACE, [{ lo: 0, hi: HASH_SPACE, after: 0 }])?.entry.shardletId).toBe("busy");
    }
    expect(fill("once", 10)).toBe(true);
    now += 1;
    // An unlikely prefetch would have to evict one of them: refused, and both stay.
    expect(fill("unlikely", 20, { p: 0.02, until: now + 40_000 })).toBe(false);
    expect(cache.reach("s", "unlikely")).toBeNull();
    expect([cache.reach("s", "busy"), cache.reach("s", "once")]).toEqual([{ from: 0, to: 10 }, { from: 10, to: 20 }]);
    // A read due within the step is worth more than the once-read entry: that one goes, not "busy".
    expect(fill("due", 20, { p: 0.9, until: now + 10_000 })).toBe(true);
    expect(cache.reach("s", "once")).toBeNull();
    expect(cache.reach("s", "busy")).not.toBeNull();
    // An announcement protects an entry already here: a demand fill evicts the unannounced one first.
    cache.predict("s", "busy", { p: 0.95, until: now + 10_000 });
    cache.predict("s", "due", { p: 0.01, until: now + 10_000 });
    now += 1;
    expect(fill("next", 30)).toBe(true);
    expect(cache.reach("s", "busy")).not.toBeNull();
    expect(cache.reach("s", "due")).toBeNull();
    expect(wasted).toEqual(["due"]);
  });

  it("leaves an entry as it was when a prefetch that would extend it is refused", () => {
    let now = 1_000_000;
    const one = eventBytes(events[0]!);
    const cache = new ShardCache({ maxBytes: one * 25, maxEntryShare: 1, clock: () => now });
    const fill = (shardletId: string, from: number, to: number, prediction?: { p: number; until: number }) =>
      cache.fill({ streamId: "s", shardletId, epoch: 1, lo: 0, hi: HASH_SPACE, from, to, events: events.slice(from, to), prediction });
    expect(fill("busy", 0, 10)).toBe(true);
    for (let i = 0; i < 8; i++) {
      now += 10_000;
      cache.lookup("s", 0, HASH_SPACE, [{ lo: 0, hi: HASH_SPACE, after: 0 }], Number.POSITIVE_INFINITY, "busy");
    }
    expect(fill("held", 10, 20)).toBe(true);
    for (let i = 0; i < 8; i++) {
      now += 10_000;
      cache.lookup("s", 0, HASH_SPACE, [{ lo: 0, hi: HASH_SPACE, after: 10 }], Number.POSITIVE_INFINITY, "held");
    }
    const bytes = cache.bytes;
    // Extending "held" by 10 events needs room only evicting "busy" gives; an unlikely read does not buy it.
    expect(fill("held", 20, 30, { p: 0.02, until: now + 40_000 })).toBe(false);
    expect(cache.reach("s", "held")).toEqual({ from: 10, to: 20 });
    expect(cache.bytes).toBe(bytes);
    expect(cache.lookup("s", 0, HASH_SPACE, [{ lo: 0, hi: HASH_SPACE, after: 10 }], Number.POSITIVE_INFINITY, "held")!.events.map((e) => e.seq)).toEqual(events.slice(10, 20).map((e) => e.seq));
    // A demand fill extends it.
    expect(fill("held", 20, 30)).toBe(true);
    expect(cache.reach("s", "held")).toEqual({ from: 10, to: 30 });
    expect(cache.lookup("s", 0, HASH_SPACE, [{ lo: 0, hi: HASH_SPACE, after: 15 }], Number.POSITIVE_INFINITY, "held")!.events.map((e) => e.seq)).toEqual(events.slice(15, 30).map((e) => e.seq));
  });

  it("extends, serves and drops a pinned entry like any other, and tells a miss inside what an evicted entry held", () => {
    let now = 1_000_000;
    const one = eventBytes(events[0]!);
    const cache = new ShardCache({ maxBytes: one * 60, maxEntryShare: 0.5, clock: () => now });
    const fill = (shardletId: string, from: number, to: number) => cache.fill({ streamId: "s", shardletId, epoch: 1, lo: 0, hi: HASH_SPACE, from, to, events: events.slice(from, to) });
    cache.pin([{ streamId: "s", shardletId: "p" }], 0.5);
    fill("p", 0, 10);
    fill("p", 10, 20);
    expect(cache.reach("s", "p")).toEqual({ from: 0, to: 20 });
    expect(cache.lookup("s", 0, HASH_SPACE, [{ lo: 0, hi: HASH_SPACE, after: 5 }])!.events.map((e) => e.seq)).toEqual(events.slice(5, 20).map((e) => e.seq));
    // Others fill past the budget: the pinned entry stays, theirs go.
    for (let i = 0; i < 6; i++) {
      now += 1;
      fill(`o${i}`, 20 + i * 10, 30 + i * 10);
    }
    expect(cache.reach("s", "p")).not.toBeNull();
    expect(cache.reach("s", "o0")).toBeNull();
    expect(cache.pinned()).toMatchObject([{ streamId: "s", shardletId: "p", shielded: true }]);
    expect(cache.pinned()[0]!.bytes).toBeGreaterThan(one * 20);
    // A read of o0 inside what its evicted entry held would have been served by a longer-kept entry; one past it would not.
    expect(cache.evictedCovers("s", "o0", [{ lo: 0, hi: HASH_SPACE, after: 20 }])).toBe(true);
    expect(cache.evictedCovers("s", "o0", [{ lo: 0, hi: HASH_SPACE, after: 30 }])).toBe(false);
    // The stream deleted: pinned or not, its entries go.
    cache.dropStream("s");
    expect(cache.entries).toBe(0);
    expect(cache.pinned()).toEqual([{ streamId: "s", shardletId: "p", bytes: 0, shielded: false }]);
    expect(cache.evictedCovers("s", "o0", [{ lo: 0, hi: HASH_SPACE, after: 20 }])).toBe(false);
  });
});
