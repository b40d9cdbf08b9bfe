import { HASH_SPACE, keyHash, pageOf, RoutingTable, type StoredEvent } from "@shardcast/core";
import { describe, expect, it } from "vitest";
import { CacheStats } from "../src/cache/cache-stats.ts";
import { CachedRangeReader, type RangeSource } from "../src/cache/cached-reader.ts";
import { ShardCache } from "../src/cache/shard-cache.ts";
import type { RangePart } from "../src/consumers/range-reader.ts";
import type { RouteEntry } from "../src/routing-cache.ts";

/**
 * A shardlet read the cache alone answers (one part) is cut from the part's cached events in
 * place: it must be the page the hosts answer for the same read, for any position, limit and
 * watermark, positions holding several events included, and go to the hosts when it cannot be.
 */

const HALF = Math.floor(HASH_SPACE / 2);
const routes = [
  { id: "a", streamId: "s", shardId: "x", lo: 0, hi: HALF, hostId: "h", state: "active" as const, epoch: 1 },
  { id: "b", streamId: "s", shardId: "x", lo: HALF, hi: HASH_SPACE, hostId: "h", state: "active" as const, epoch: 1 },
];
const entry: RouteEntry = { meta: { id: "s", name: "s", keyField: "key" }, table: RoutingTable.build("s", routes), shards: new Map() };

/** The log: 200 positions, every fifth holding two events (a host's rows and its overflow log's). */
const log: StoredEvent[] = [];
for (let seq = 1, k = 0; seq <= 200; seq++) {
  for (let n = seq % 5 === 0 ? 2 : 1; n > 0; n--, k++) log.push({ streamId: "s", seq, shardletId: "a", key: `k${k}`, id: `e${k}`, type: null, ts: seq, payload: { k } });
}

/** The hosts: every event of the parts after their cursors, up to the watermark, as a page. */
function hosts(watermark: number, pageBytes?: number): RangeSource & { calls: number } {
  const src = {
    calls: 0,
    read: (_entry: RouteEntry, parts: readonly RangePart[], limit: number, _reader?: unknown, known?: number) => {
      src.calls++;
      const bound = known ?? watermark;
      const all = log.filter((e) => {
        const h = keyHash(e.key);
        return e.seq <= bound && parts.some((p) => h >= p.lo && h < p.hi && p.cursor.some((s) => h >= s.lo && h < s.hi && e.seq > s.after));
      });
      const page = pageOf(all, limit, pageBytes);
      const byPart = new Map<string, StoredEvent[]>();
      for (const e of page) {
        const p = parts.find((q) => keyHash(e.key) >= q.lo && keyHash(e.key) < q.hi)!;
        byPart.set(p.shardletId, [...(byPart.get(p.shardletId) ?? []), e]);
      }
      return Promise.resolve({ events: byPart, next: page.length < all.length ? page[page.length - 1]!.seq : bound, watermark });
    },
  };
  return src;
}

/** The allocator's watermarks: the current one from Redis (counted), and an older one the edge has seen. */
function watermarks(watermark: number, seen?: number) {
  const w = { asked: 0, watermark: () => (w.asked++, Promise.resolve(watermark)), seenWatermark: () => seen };
  return w;
}

function reader(watermark: number, inner: RangeSource, cache: ShardCache, sequences = watermarks(watermark)): CachedRangeReader {
  return new CachedRangeReader({ inner, cache, stats: new CacheStats(), sequences });
}

const part = (after: number): RangePart => ({ shardletId: "a", lo: 0, hi: HALF, cursor: [{ lo: 0, hi: HALF, after }] });

describe("a one-part read the shard cache answers", () => {
  it("is the hosts' page, for every position, limit and watermark", async () => {
    for (const [to, watermark] of [
      [200, 200],
      [150, 200],
      [200, 120],
    ] as const) {
      for (const after of [0, 4, 5, 37, 99, 119, 149, 199]) {
        if (after >= Math.min(to, watermark)) continue;
        for (const limit of [1, 2, 3, 10, 50, 1000]) {
          // A fresh entry for each read: a read that goes to the hosts extends it.
          const cache = new ShardCache({ maxBytes: 1 << 24 });
          cache.fill({ streamId: "s", shardletId: "a", epoch: 1, lo: 0, hi: HALF, from: 0, to, events: log });
          const inner = hosts(watermark);
          const got = await reader(watermark, inner, cache).read(entry, [part(after)], limit);
          const want = await hosts(watermark).read(entry, [part(after)], limit);
          const where = `to ${to}, watermark ${watermark}, after ${after}, limit ${limit}`;
          expect(got.events.get("a") ?? [], where).toEqual(want.events.get("a") ?? []);
          expect(got.next, where).toBe(want.next);
          // Served from memory unless the entry ends below the watermark with fewer than a page of events.
          const full = log.filter((e) => e.seq > after && e.seq <= Math.min(to, watermark) && keyHash(e.key) < HALF).length >= limit;
          expect(got.cache, where).toBe(to >= watermark || full ? "hit" : "partial");
          expect(inner.calls, where).toBe(got.cache === "hit" ? 0 : 1);
        }
      }
    }
  });

  it("is the hosts' page below an older watermark the edge has seen, asking Redis only when the page is not cut short below it", async () => {
    for (const [to, seen] of [
      [200, 120],
      [150, 199],
      [90, 150],
    ] as const) {
      for (const after of [0, 5, 37, 99, 115, 119, 149]) {
        if (after >= to) continue;
        for (const limit of [1, 2, 10, 50, 1000]) {
          const cache = new ShardCache({ maxBytes: 1 << 24 });
          cache.fill({ streamId: "s", shardletId: "a", epoch: 1, lo: 0, hi: HALF, from: 0, to, events: log });
          const sequences = watermarks(200, seen);
          const got = await reader(200, hosts(200), cache, sequences).read(entry, [part(after)], limit);
          const want = await hosts(200).read(entry, [part(after)], limit);
          const where = `to ${to}, seen ${seen}, after ${after}, limit ${limit}`;
          expect(got.events.get("a") ?? [], where).toEqual(want.events.get("a") ?? []);
          expect(got.next, where).toBe(want.next);
          // More events cached below the seen watermark than the page takes: final without Redis.
          const below = log.filter((e) => e.seq > after && e.seq <= Math.min(to, seen) && keyHash(e.key) < HALF).length;
          const firstPage = (want.events.get("a") ?? []).length;
          const local = below > firstPage;
          expect(sequences.asked, where).toBe(local ? 0 : 1);
          // Such a page carries the older watermark, and its next stays below it: no reader is told it has caught up.
          if (local) {
            expect(got.watermark, where).toBe(seen);
            expect(got.next, where).toBeLessThan(seen);
          }
        }
      }
    }
  });

  it("is the hosts' page when pages are bounded by bytes, from one part or several", async () => {
    const both = [part(0), { shardletId: "b", lo: HALF, hi: HASH_SPACE, cursor: [{ lo: HALF, hi: HASH_SPACE, after: 0 }] }];
    const ofB = log.filter((e) => keyHash(e.key) >= HALF);
    for (const pageBytes of [1, 40, 100, 333]) {
      for (const parts of [[part(0)], both]) {
        const cache = new ShardCache({ maxBytes: 1 << 24 });
        cache.fill({ streamId: "s", shardletId: "a", epoch: 1, lo: 0, hi: HALF, from: 0, to: 200, events: log });
        cache.fill({ streamId: "s", shardletId: "b", epoch: 1, lo: HALF, hi: HASH_SPACE, from: 0, to: 200, events: ofB });
        const got = await new CachedRangeReader({ inner: hosts(200, pageBytes), cache, stats: new CacheStats(), sequences: watermarks(200), pageBytes }).read(entry, parts, 1000);
        const want = await hosts(200, pageBytes).read(entry, parts, 1000);
        const where = `${parts.length} part(s), ${pageBytes} bytes`;
        expect(got.cache, where).toBe("hit");
        expect(got.events, where).toEqual(want.events);
        expect(got.next, where).toBe(want.next);
      }
    }
  });

  it("leaves the entry as it was: the page is cut from the lookup's own array", async () => {
    const cache = new ShardCache({ maxBytes: 1 << 24 });
    cache.fill({ streamId: "s", shardletId: "a", epoch: 1, lo: 0, hi: HALF, from: 0, to: 200, events: log });
    const before = cache.list()[0]!.events.length;
    await reader(200, hosts(200), cache).read(entry, [part(0)], 3);
    expect(cache.list()[0]!.events.length).toBe(before);
    const page = await reader(200, hosts(200), cache).read(entry, [part(0)], 1000);
    expect(page.events.get("a")).toHaveLength(before);
  });
});
