import { setImmediate as nextTurn } from "node:timers/promises";
import { mergeBySeq, pageEnd, pageOf, type Prediction, type StoredEvent } from "@shardcast/core";
import type { SequenceAllocator } from "@shardcast/runtime";
import type { RangePage, RangePart } from "../consumers/range-reader.ts";
import type { ReadObserver } from "../reads.ts";
import type { RouteEntry } from "../routing-cache.ts";
import type { ReaderIdentity } from "../telemetry/counters.ts";
import { storedBytes } from "../stored-bytes.ts";
import type { CacheStats } from "./cache-stats.ts";
import { markServed, type CachedPart } from "./cache-entry.ts";
import { FILL_SLICE_EVENTS, partOf, pastCached, slicesAtPositions } from "./cache-fill.ts";
import type { ShardCache } from "./shard-cache.ts";

/** What reads consumers' ranges: the host reader, or the cache in front of it. */
export interface RangeSource {
  read(entry: RouteEntry, parts: readonly RangePart[], limit: number, reader?: ReaderIdentity, knownWatermark?: number): Promise<RangePage>;
  /** Reads the page `read(entry, parts, limit)` would answer into the cache (absent: no cache to read into). */
  readAhead?(entry: RouteEntry, parts: readonly RangePart[], limit: number): Promise<void>;
}

/**
 * Consumer range reads through the shard cache. A part an entry covers gets its cached events;
 * only what lies past the entry (and parts no entry covers) is read from the hosts, and those
 * host events extend the cache. When every part is cached and the cache alone fills the page or
 * reaches the watermark, no host is asked at all.
 *
 * Never less than the hosts: cached events are complete for their interval (see ShardCache), the
 * page's `next` is the lower of the cache's and the host read's complete bound, and a page never
 * ends inside a position.
 */
export class CachedRangeReader implements RangeSource {
  /** `stream \t shardlet` -> the host read under way for it and where its fill starts. */
  private readonly inflight = new Map<string, { from: number; done: Promise<void> }>();

  constructor(
    private readonly deps: {
      inner: RangeSource;
      cache: ShardCache;
      stats: CacheStats;
      /** The watermark, read from Redis or the highest this edge has already read. */
      sequences: Pick<SequenceAllocator, "watermark" | "seenWatermark">;
      /** Told about events served from the cache (host-read events are reported by the inner reader). */
      observer?: ReadObserver;
      /** Told, per part of an answered read, where that reader's next read of it starts and the bytes this one took. */
      onServed?: (streamId: string, shardletId: string, readerGroup: string, next: number, bytes: number) => void;
      /** Bytes of events per page (default `MAX_PAGE_BYTES`): the page the hosts would answer. */
      pageBytes?: number | undefined;
    },
  ) {}

  async read(entry: RouteEntry, parts: readonly RangePart[], limit: number, reader?: ReaderIdentity, knownWatermark?: number): Promise<RangePage> {
    if (parts.length === 0) return { ...(await this.deps.inner.read(entry, parts, limit, reader, knownWatermark)), cache: "miss" };
    const streamId = entry.meta.id;
    let cached = this.lookupAll(streamId, parts, limit);
    // A page the cache cuts short of what it holds below a watermark this edge has already seen is
    // final (no event can appear at or below a watermark once given): such a hit, the common page
    // of a reader catching up, needs no round trip to Redis at all.
    const seen = knownWatermark === undefined && cached.size === parts.length ? this.deps.sequences.seenWatermark(streamId) : undefined;
    if (seen !== undefined) {
      const page = this.hit(entry, parts, cached, limit, seen, false, reader);
      if (page) {
        this.deps.stats.total.watermarkReadsSaved++;
        return page;
      }
    }
    let watermark = knownWatermark;
    if (watermark === undefined) {
      watermark = await this.deps.sequences.watermark(streamId);
      // Another read (or a read-ahead) may have filled what was missing meanwhile.
      if (cached.size < parts.length) cached = this.lookupAll(streamId, parts, limit);
    }
    // Readers in lockstep (several groups at the tail) would all miss together: a part whose host
    // read is already under way from at or below its position waits for that read instead.
    const waits = cached.size < parts.length ? parts.filter((p) => !cached.has(p.shardletId)).map((p) => this.inflightFor(streamId, p)) : [];
    if (waits.length > 0 && waits.every((w) => w !== null)) {
      await Promise.all(waits);
      cached = this.lookupAll(streamId, parts, limit);
    }
    if (cached.size === parts.length) {
      const page = this.hit(entry, parts, cached, limit, watermark, true, reader);
      if (page) return page;
    }

    const done = this.startInflight(streamId, parts, cached);
    let host: RangePage;
    try {
      host = await this.deps.inner.read(entry, pastCached(parts, cached), limit, reader, watermark);
    } finally {
      done();
    }
    const hostEvents = this.fillFromHost(entry, parts, cached, host, true);
    const fromCache = [...cached.values()].flatMap((c) => c.events.filter((e) => e.seq <= host.next));
    const merged = mergeBySeq([...fromCache, ...hostEvents]);
    const page = pageOf(merged, limit, this.deps.pageBytes, storedBytes);
    const next = page.length < merged.length ? page[page.length - 1]!.seq : host.next;
    return { ...this.answer(entry, parts, cached, page, hostEvents, next, watermark, reader), cache: cached.size > 0 ? "partial" : "miss" };
  }

  /**
   * A consumer group member's next page, read into the cache while the member works on the page
   * it has: its next poll (`parts`, where that poll starts) then finds the page here, or waits for
   * this read instead of reading the hosts itself. Only what no entry holds is read, and nothing
   * when entries hold a page already or a read of a part is under way. It is nobody's read: no
   * reader is told of it and it counts in no hit ratio (`readAheads` counts it).
   */
  async readAhead(entry: RouteEntry, parts: readonly RangePart[], limit: number): Promise<void> {
    const streamId = entry.meta.id;
    if (parts.length === 0 || parts.some((p) => this.inflightFor(streamId, p) !== null)) return;
    const cached = this.lookupAll(streamId, parts, limit);
    let held = 0;
    for (const c of cached.values()) held += c.events.length;
    if (cached.size === parts.length && held >= limit) return;
    const done = this.startInflight(streamId, parts, cached);
    try {
      const host = await this.deps.inner.read(entry, pastCached(parts, cached), limit);
      const total = this.deps.stats.total;
      total.readAheads++;
      for (const e of this.fillFromHost(entry, parts, cached, host, false)) total.readAheadBytes += storedBytes(e);
    } finally {
      done();
    }
  }

  /** Extends each part's entry (or starts one) with what the hosts answered past it (`served`: to a read now); returns the hosts' events. */
  private fillFromHost(entry: RouteEntry, parts: readonly RangePart[], cached: ReadonlyMap<string, CachedPart>, host: RangePage, served: boolean): StoredEvent[] {
    const hostEvents: StoredEvent[] = [];
    for (const p of parts) {
      const got = host.events.get(p.shardletId) ?? [];
      hostEvents.push(...got);
      const c = cached.get(p.shardletId);
      const from = c ? c.to : Math.max(...p.cursor.map((s) => s.after));
      const route = entry.table.byId(p.shardletId);
      if (host.next > from) this.deps.cache.fill({ streamId: entry.meta.id, shardletId: p.shardletId, epoch: route?.epoch ?? 0, lo: p.lo, hi: p.hi, from, to: host.next, events: got, served });
    }
    return hostEvents;
  }

  /**
   * The page when the cache alone answers a read every part of which it covers, else null. With
   * the current watermark (`current`), reaching it or filling the page will do; below an older
   * one, only a page cut short of what the entries hold below it is certain to be the hosts' page
   * (and its `next` stays below that watermark, so the answer never tells a reader it has caught up
   * with a watermark that may have moved on).
   */
  private hit(entry: RouteEntry, parts: readonly RangePart[], cached: ReadonlyMap<string, CachedPart>, limit: number, watermark: number, current: boolean, reader?: ReaderIdentity): RangePage | null {
    // A caller's watermark may be older than an entry's end: stay at or below it.
    let reach = watermark;
    for (const c of cached.values()) reach = Math.min(reach, c.to);
    const only = parts.length === 1 ? cached.get(parts[0]!.shardletId) : undefined;
    if (only) return this.hitOfOne(entry, parts[0]!, only, reach, limit, watermark, current, reader);
    const events = [...cached.values()].flatMap((c) => c.events.filter((e) => e.seq <= reach)).sort((a, b) => a.seq - b.seq);
    if (!(current && reach >= watermark) && events.length < limit) return null;
    const page = pageOf(events, limit, this.deps.pageBytes, storedBytes);
    const more = page.length < events.length || [...cached.values()].some((c) => c.leftOut <= reach);
    if (!current && !more) return null;
    const next = more ? page[page.length - 1]!.seq : reach;
    this.deps.stats.total.hostReadsSaved++;
    return { ...this.answer(entry, parts, cached, page, [], next, watermark, reader), cache: "hit" };
  }

  /**
   * `hit` for a one-part read (a shardlet read): the part's cached events are its own, in position
   * order, in an array the lookup made for this read, so the page is that array cut in place, with
   * none of the sorting and per-event attribution a read of several parts needs.
   */
  private hitOfOne(entry: RouteEntry, part: RangePart, hit: CachedPart, reach: number, limit: number, watermark: number, current: boolean, reader?: ReaderIdentity): RangePage | null {
    const events = hit.events;
    let upTo = events.length;
    while (upTo > 0 && events[upTo - 1]!.seq > reach) upTo--;
    if (!(current && reach >= watermark) && upTo < limit) return null;
    const end = pageEnd(events, limit, upTo, this.deps.pageBytes, storedBytes);
    const more = end < upTo || hit.leftOut <= reach;
    if (!current && !more) return null;
    const next = more ? events[end - 1]!.seq : reach;
    events.length = end;
    this.deps.stats.total.hostReadsSaved++;
    let bytes = 0;
    for (const e of events) bytes += storedBytes(e);
    this.deps.stats.part(entry.meta.id, part.shardletId, true, bytes, 0, false);
    if (reader && end > 0) this.deps.observer?.read(entry, events, reader);
    if (reader) this.deps.onServed?.(entry.meta.id, part.shardletId, `${reader.client}\t${reader.group}`, next, bytes);
    markServed(hit.entry, next);
    return { events: end > 0 ? new Map([[part.shardletId, events]]) : new Map<string, StoredEvent[]>(), next, watermark, cache: "hit" };
  }

  /** Each part's cached events, at most a page and one more of each (a page can take no more from one part). */
  private lookupAll(streamId: string, parts: readonly RangePart[], limit: number): Map<string, CachedPart> {
    const cached = new Map<string, CachedPart>();
    for (const p of parts) {
      const hit = this.deps.cache.lookup(streamId, p.lo, p.hi, p.cursor, limit + 1, p.shardletId);
      if (hit) cached.set(p.shardletId, hit);
    }
    return cached;
  }

  private inflightFor(streamId: string, p: RangePart): Promise<void> | null {
    const f = this.inflight.get(`${streamId}\t${p.shardletId}`);
    if (!f) return null;
    let low = Number.POSITIVE_INFINITY;
    for (const s of p.cursor) low = Math.min(low, s.after);
    return f.from <= low ? f.done : null;
  }

  /** Registers this read's host fetch per part (from where it fills); the returned function ends it. */
  private startInflight(streamId: string, parts: readonly RangePart[], cached: ReadonlyMap<string, CachedPart>): () => void {
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const keys: string[] = [];
    for (const p of parts) {
      const key = `${streamId}\t${p.shardletId}`;
      if (this.inflight.has(key)) continue;
      const c = cached.get(p.shardletId);
      this.inflight.set(key, { from: c ? c.to : Math.max(...p.cursor.map((s) => s.after)), done });
      keys.push(key);
    }
    return () => {
      for (const k of keys) if (this.inflight.get(k)?.done === done) this.inflight.delete(k);
      resolve();
    };
  }

  /**
   * Fills the cache with a shardlet's events after `after` (or after what its entry holds) up to
   * the watermark, at most `limit` events, as a prefetch of the read `prediction` announces;
   * returns the bytes fetched. The cache may refuse it (it would evict entries worth more per
   * byte): asked first with `expectedBytes` (the size of the shardlet's last read, when known), so
   * a likely refusal costs no host read; refused after the read, its bytes count as wasted.
   */
  async prefetch(entry: RouteEntry, shardletId: string, after: number, limit: number, prediction: Prediction, expectedBytes?: number): Promise<number> {
    const route = entry.table.byId(shardletId);
    if (!route) return 0;
    const total = this.deps.stats.total;
    if (expectedBytes !== undefined && !this.deps.cache.admits(entry.meta.id, shardletId, expectedBytes, prediction)) {
      total.skippedPrefetches++;
      return 0;
    }
    const reach = this.deps.cache.reach(entry.meta.id, shardletId);
    const from = reach && reach.from <= after && reach.to > after ? reach.to : after;
    const page = await this.deps.inner.read(entry, [{ shardletId, lo: route.lo, hi: route.hi, cursor: [{ lo: route.lo, hi: route.hi, after: from }] }], limit);
    if (page.next <= from) return 0;
    const events = page.events.get(shardletId) ?? [];
    // Filled a slice per turn of the event loop: filling serializes every event (its kept text
    // and its stored size), and a page of a few thousand at once held the reads this cache
    // serves behind it for 7-15 ms. Each slice ends at a position, so each is a complete interval
    // of its own and extends the entry the one before made (or the one a read made meanwhile).
    const slices = slicesAtPositions(events, FILL_SLICE_EVENTS);
    let bytes = 0;
    let wasted = 0;
    let refused = false;
    let sliceFrom = from;
    for (let i = 0; i < slices.length; i++) {
      if (i > 0) await nextTurn();
      const slice = slices[i]!;
      const to = i === slices.length - 1 ? page.next : slice[slice.length - 1]!.seq;
      let sliceBytes = 0;
      for (const e of slice) sliceBytes += storedBytes(e);
      bytes += sliceBytes;
      // A refused slice ends the filling: a later one would not join what the cache holds, and an
      // entry that does not join is replaced, not extended. What was fetched past it is wasted.
      refused ||= !this.deps.cache.fill({ streamId: entry.meta.id, shardletId, epoch: route.epoch, lo: route.lo, hi: route.hi, from: sliceFrom, to, events: slice, prediction });
      if (refused) wasted += sliceBytes;
      sliceFrom = to;
    }
    total.prefetches++;
    total.prefetchedBytes += bytes;
    if (refused) {
      total.skippedPrefetches++;
      total.wastedPrefetches++;
      total.wastedPrefetchBytes += wasted;
    }
    return bytes;
  }

  private answer(entry: RouteEntry, parts: readonly RangePart[], cached: ReadonlyMap<string, CachedPart>, page: readonly StoredEvent[], hostEvents: readonly StoredEvent[], next: number, watermark: number, reader?: ReaderIdentity): RangePage {
    const fromHost = new Set(hostEvents);
    const byPart = new Map<string, StoredEvent[]>();
    const servedFromCache: StoredEvent[] = [];
    const bytes = new Map<string, { cache: number; host: number }>();
    const sorted = [...parts].sort((a, b) => a.lo - b.lo);
    for (const e of page) {
      const part = partOf(sorted, e);
      if (!part) continue;
      const list = byPart.get(part.shardletId) ?? [];
      list.push(e);
      byPart.set(part.shardletId, list);
      const b = bytes.get(part.shardletId) ?? { cache: 0, host: 0 };
      if (fromHost.has(e)) b.host += storedBytes(e);
      else {
        b.cache += storedBytes(e);
        servedFromCache.push(e);
      }
      bytes.set(part.shardletId, b);
    }
    for (const p of parts) {
      const b = bytes.get(p.shardletId) ?? { cache: 0, host: 0 };
      const hit = cached.has(p.shardletId);
      this.deps.stats.part(entry.meta.id, p.shardletId, hit, b.cache, b.host, !hit && this.deps.cache.evictedCovers(entry.meta.id, p.shardletId, p.cursor));
    }
    for (const c of cached.values()) markServed(c.entry, next);
    if (reader && servedFromCache.length > 0) this.deps.observer?.read(entry, servedFromCache, reader);
    if (reader) {
      for (const p of parts) {
        const b = bytes.get(p.shardletId);
        this.deps.onServed?.(entry.meta.id, p.shardletId, `${reader.client}\t${reader.group}`, next, b ? b.cache + b.host : 0);
      }
    }
    return { events: byPart, next, watermark };
  }
}
