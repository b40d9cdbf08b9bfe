import { HASH_SPACE, keyHash, pageOf, RoutingTable, type StoredEvent } from "@shardcast/core";
import { describe, expect, it } from "vitest";
import { CacheStats } from "../src/cache/cache-stats.ts";
import { CachedRangeReader, type RangeSource } from "../src/cache/cached-reader.ts";
import { slicesAtPositions } from "../src/cache/cache-fill.ts";
import { eventBytes } from "../src/cache/cache-entry.ts";
import { keptJson } from "../src/cache/event-json.ts";
import { ShardCache } from "../src/cache/shard-cache.ts";
import type { RangePart } from "../src/consumers/range-reader.ts";
import type { RouteEntry } from "../src/routing-cache.ts";
import { storedBytes } from "../src/stored-bytes.ts";

/**
 * A prefetch fills the cache a slice per turn of the event loop, so reads are answered between
 * slices instead of waiting behind the whole page's serialization; what it leaves in the cache is
 * what one fill would have, and a read between two slices is still the hosts' page.
 */

const HALF = Math.floor(HASH_SPACE / 2);
const routes = [
  { id: "a", streamId: "s", shardId: "x", lo: 0, hi: HALF, hostId: "h", state: "active" as const, epoch: 1 },
  { id: "b", streamId: "s", shardId: "x", lo: HALF, hi: HASH_SPACE, hostId: "h", state: "active" as const, epoch: 1 },
];
const entry: RouteEntry = { meta: { id: "s", name: "s", keyField: "key" }, table: RoutingTable.build("s", routes), shards: new Map() };
const WATERMARK = 1_500;

/** Shardlet a's log: 1,500 positions, every third holding two events. */
const log: StoredEvent[] = [];
for (let seq = 1, k = 0; seq <= WATERMARK; seq++) {
  for (let n = seq % 3 === 0 ? 2 : 1; n > 0; k++) {
    const key = `k${k}`;
    if (keyHash(key) >= HALF) continue;
    log.push({ streamId: "s", seq, shardletId: "a", key, id: `e${k}`, type: null, ts: seq, payload: { k, text: "x".repeat(40) } });
    n--;
  }
}

function hosts(): RangeSource & { calls: number } {
  const src = {
    calls: 0,
    read: (_entry: RouteEntry, parts: readonly RangePart[], limit: number) => {
      src.calls++;
      const after = Math.min(...parts.flatMap((p) => p.cursor.map((c) => c.after)));
      const all = log.filter((e) => e.seq > after);
      const page = pageOf(all, limit);
      return Promise.resolve({ events: new Map([["a", page]]), next: page.length < all.length ? page[page.length - 1]!.seq : WATERMARK, watermark: WATERMARK });
    },
  };
  return src;
}

const part = (after: number): RangePart => ({ shardletId: "a", lo: 0, hi: HALF, cursor: [{ lo: 0, hi: HALF, after }] });

function reader(inner: RangeSource, cache: ShardCache, stats = new CacheStats()): CachedRangeReader {
  return new CachedRangeReader({ inner, cache, stats, sequences: { watermark: () => Promise.resolve(WATERMARK), seenWatermark: () => undefined } });
}

describe("slicesAtPositions", () => {
  it("cuts about every `size` events, never inside a position, and keeps every event once in order", () => {
    const slices = slicesAtPositions(log, 100);
    expect(slices.flat()).toEqual(log);
    for (let i = 1; i < slices.length; i++) expect(slices[i]![0]!.seq).toBeGreaterThan(slices[i - 1]!.at(-1)!.seq);
    for (const s of slices.slice(0, -1)) expect(s.length === 100 || s.length === 101).toBe(true);
    expect(slicesAtPositions([], 100)).toEqual([[]]);
    const same = [1, 1, 1, 2].map((seq) => ({ seq }));
    expect(slicesAtPositions(same, 1)).toEqual([[{ seq: 1 }, { seq: 1 }, { seq: 1 }], [{ seq: 2 }]]);
  });
});

describe("a prefetch filled slice by slice", () => {
  it("lets other work run between slices and leaves the cache answering every read as the hosts do", async () => {
    const cache = new ShardCache({ maxBytes: 1 << 26, maxEntryShare: 1 });
    const inner = hosts();
    const r = reader(inner, cache);
    let turns = 0;
    let spinning = true;
    const spin = () => {
      if (!spinning) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const bytes = await r.prefetch(entry, "a", 0, 5_000, { p: 0.9, until: Date.now() + 60_000 });
    spinning = false;
    expect(inner.calls).toBe(1);
    expect(bytes).toBeGreaterThan(0);
    // Other work ran while the slices were filled: at least one turn per slice after the first.
    expect(turns).toBeGreaterThanOrEqual(slicesAtPositions(log, 200).length - 1);
    expect(cache.reach("s", "a")).toEqual({ from: 0, to: WATERMARK });
    // Every event kept its text, as a prefetch's fill did in one go.
    expect(log.every((e) => keptJson(e) !== undefined)).toBe(true);
    for (const after of [0, 2, 3, 199, 200, 201, 777, 1_499]) {
      for (const limit of [1, 100, 1_000]) {
        const got = await r.read(entry, [part(after)], limit);
        const want = await hosts().read(entry, [part(after)], limit);
        expect(got.cache, `after ${after}, limit ${limit}`).toBe("hit");
        expect(got.events.get("a") ?? [], `after ${after}, limit ${limit}`).toEqual(want.events.get("a") ?? []);
        expect(got.next, `after ${after}, limit ${limit}`).toBe(want.next);
      }
    }
    expect(inner.calls).toBe(1);
  });

  it("answers a read made between two slices with the hosts' page", async () => {
    const cache = new ShardCache({ maxBytes: 1 << 26, maxEntryShare: 1 });
    const inner = hosts();
    const r = reader(inner, cache);
    const pages: Array<{ after: number; got: Awaited<ReturnType<CachedRangeReader["read"]>> }> = [];
    let probes = 0;
    const probe = () => {
      if (probes++ >= 4) return;
      const after = [0, 150, 400, 1_000][probes - 1]!;
      void r.read(entry, [part(after)], 300).then((got) => pages.push({ after, got }));
      setImmediate(probe);
    };
    setImmediate(probe);
    await r.prefetch(entry, "a", 0, 5_000, { p: 0.9, until: Date.now() + 60_000 });
    while (pages.length < 4) await new Promise((res) => setImmediate(res));
    for (const { after, got } of pages) {
      const want = await hosts().read(entry, [part(after)], 300);
      expect(got.events.get("a") ?? [], `after ${after}`).toEqual(want.events.get("a") ?? []);
      expect(got.next, `after ${after}`).toBe(want.next);
    }
    // A read past what the slices had filled replaced the entry with its own (an entry holds one
    // interval); the slices after it start a new one, which still reaches the watermark.
    expect(cache.reach("s", "a")?.to).toBe(WATERMARK);
    const calls = inner.calls;
    const after = cache.reach("s", "a")!.from;
    const got = await r.read(entry, [part(after)], 300);
    expect(got.cache).toBe("hit");
    expect(got.events.get("a")).toEqual((await hosts().read(entry, [part(after)], 300)).events.get("a"));
    expect(inner.calls).toBe(calls);
  });

  it("stops at the first slice the cache refuses and counts what it fetched from there on as wasted", async () => {
    let now = 1_000_000;
    const one = eventBytes(log[0]!);
    // Room for the first slice besides an entry read every step; the second would have to evict that entry.
    const cache = new ShardCache({ maxBytes: one * 330, maxEntryShare: 1, clock: () => now });
    const busy: StoredEvent[] = [];
    for (let k = 0; busy.length < 100; k++) if (keyHash(`b${k}`) >= HALF) busy.push({ streamId: "s", seq: busy.length + 1, shardletId: "b", key: `b${k}`, id: `b${k}`, type: null, ts: 1, payload: { k, text: "x".repeat(40) } });
    expect(cache.fill({ streamId: "s", shardletId: "b", epoch: 1, lo: HALF, hi: HASH_SPACE, from: 0, to: 100, events: busy })).toBe(true);
    for (let i = 0; i < 8; i++) {
      now += 10_000;
      expect(cache.lookup("s", HALF, HASH_SPACE, [{ lo: HALF, hi: HASH_SPACE, after: 0 }])).not.toBeNull();
    }
    const stats = new CacheStats();
    const bytes = await reader(hosts(), cache, stats).prefetch(entry, "a", 0, 5_000, { p: 0.02, until: now + 40_000 });
    const slices = slicesAtPositions(log, 200);
    const first = slices[0]!.reduce((n, e) => n + storedBytes(e), 0);
    expect(bytes).toBe(log.reduce((n, e) => n + storedBytes(e), 0));
    // The first slice was kept, nothing after it, and the busy entry stayed.
    expect(cache.reach("s", "a")).toEqual({ from: 0, to: slices[0]!.at(-1)!.seq });
    expect(cache.reach("s", "b")).toEqual({ from: 0, to: 100 });
    expect(stats.total).toMatchObject({ prefetches: 1, prefetchedBytes: bytes, wastedPrefetches: 1, skippedPrefetches: 1, wastedPrefetchBytes: bytes - first });
  });

  it("counts nothing as wasted when every slice is kept", async () => {
    const stats = new CacheStats();
    const bytes = await reader(hosts(), new ShardCache({ maxBytes: 1 << 26, maxEntryShare: 1 }), stats).prefetch(entry, "a", 0, 5_000, { p: 0.9, until: Date.now() + 60_000 });
    expect(stats.total).toMatchObject({ prefetches: 1, prefetchedBytes: bytes, wastedPrefetches: 0, wastedPrefetchBytes: 0 });
  });
});

describe("a group member's read-ahead", () => {
  it("reads the next page into the cache, so the member's next poll is the hosts' page without a host read", async () => {
    const cache = new ShardCache({ maxBytes: 1 << 26, maxEntryShare: 1 });
    const inner = hosts();
    const stats = new CacheStats();
    const r = reader(inner, cache, stats);
    const first = await r.read(entry, [part(0)], 100);
    expect(inner.calls).toBe(1);
    const counted = { ...stats.total };
    await r.readAhead(entry, [part(first.next)], 100);
    expect(inner.calls).toBe(2);
    // Nobody's read: no hit, no miss, no bytes served; only the read-ahead itself is counted.
    expect({ ...stats.total, readAheads: counted.readAheads, readAheadBytes: counted.readAheadBytes }).toEqual(counted);
    expect(stats.total.readAheads).toBe(1);
    expect(stats.total.readAheadBytes).toBe((await hosts().read(entry, [part(first.next)], 100)).events.get("a")!.reduce((n, e) => n + storedBytes(e), 0));
    const next = await r.read(entry, [part(first.next)], 100);
    const want = await hosts().read(entry, [part(first.next)], 100);
    expect(next.cache).toBe("hit");
    expect(next.events.get("a")).toEqual(want.events.get("a"));
    expect(next.next).toBe(want.next);
    expect(inner.calls).toBe(2);
    // A page the entries hold already is not read again.
    await r.readAhead(entry, [part(first.next)], 100);
    expect(inner.calls).toBe(2);
  });

  it("leaves its events' JSON to the page that first serves them, and keeps it when they are served again", async () => {
    // Events of their own: the log's events were served (and kept) by the tests before.
    const inner = hosts();
    const copies: RangeSource = {
      read: async (...args: Parameters<RangeSource["read"]>) => {
        const page = await inner.read(...args);
        return { ...page, events: new Map([...page.events].map(([id, events]) => [id, events.map((e) => ({ ...e }))])) };
      },
    };
    const r = reader(copies, new ShardCache({ maxBytes: 1 << 26, maxEntryShare: 1 }));
    const first = await r.read(entry, [part(0)], 100);
    await r.readAhead(entry, [part(first.next)], 100);
    // The member's next poll is the first read of these events: serialized with its page, as a host read's are.
    const next = await r.read(entry, [part(first.next)], 100);
    expect(next.cache).toBe("hit");
    const served = next.events.get("a")!;
    expect(served.length).toBeGreaterThan(0);
    expect(served.every((e) => keptJson(e) === undefined)).toBe(true);
    // Served again (another group, a re-read): from here on each is written from its kept text.
    const again = await r.read(entry, [part(first.next)], 100);
    expect(again.cache).toBe("hit");
    expect(again.events.get("a")!.every((e) => keptJson(e)?.toString("utf8") === JSON.stringify(e))).toBe(true);
    // Events a read filled (the first page) count as served by it: their next hit keeps their texts at once.
    const reread = await r.read(entry, [part(0)], 100);
    expect(reread.events.get("a")!.every((e) => keptJson(e) !== undefined)).toBe(true);
  });

  it("makes a poll that comes while it is under way wait for it instead of reading the hosts again", async () => {
    const inner = hosts();
    const r = reader(inner, new ShardCache({ maxBytes: 1 << 26, maxEntryShare: 1 }));
    const ahead = r.readAhead(entry, [part(300)], 100);
    const got = await r.read(entry, [part(300)], 100);
    await ahead;
    expect(inner.calls).toBe(1);
    expect(got.events.get("a")).toEqual((await hosts().read(entry, [part(300)], 100)).events.get("a"));
  });
});
