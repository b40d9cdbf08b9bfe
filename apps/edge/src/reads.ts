import { keyHash, ShardcastError, type StoredEvent } from "@shardcast/core";
import type { ReadByKeyQuery, ReadByPositionQuery } from "@shardcast/db/host";
import type { SequenceAllocator } from "@shardcast/runtime";
import { failureOutcome, streamLabel } from "./ingest.ts";
import type { IssuedPositions } from "./issued-positions.ts";
import type { RouteEntry, RoutingCache } from "./routing-cache.ts";
import type { ReaderIdentity } from "./telemetry/counters.ts";
import { MOVED_AWAY, staleRoute } from "./route-fences.ts";

export interface HostReader {
  readByPosition(hostId: string, q: ReadByPositionQuery): Promise<StoredEvent[]>;
  readByKey(hostId: string, q: ReadByKeyQuery): Promise<StoredEvent[]>;
  /** A shardlet's fence on a host (null: none), to tell a stale route after a read. */
  fence?(hostId: string, shardletId: string): Promise<{ epoch: number; state: string } | null>;
  /** The fences of a stream's shardlets on a host, to tell a stale route after a position read. */
  fences?(hostId: string, streamId: string): Promise<ReadonlyArray<{ shardletId: string; state: string }>>;
}

/** Reads by key and position re-route at most this many times after finding their route stale. */
const MAX_ROUTE_ATTEMPTS = 3;

export const MAX_READ_LIMIT = 1000;

/** Told about every answered read (for telemetry). */
export interface ReadObserver {
  /** `latencyMs`: how long the request took (absent where it is not measured, e.g. consumer polls). */
  read(entry: RouteEntry, events: readonly StoredEvent[], reader: ReaderIdentity, latencyMs?: number): void;
  /** Once per read, whatever its fate, for the metrics. */
  answered?(stream: string, kind: ReadKind, answer: ReadAnswer): void;
}

export type ReadKind = "position" | "key";

export interface ReadAnswer {
  /** `ok`, `rejected` (a 4xx) or `failed` (a 5xx). */
  outcome: "ok" | "rejected" | "failed";
  events: number;
  latencyMs: number;
}

/** How the edge's shard cache served a read: no host read, cached events and a host read past them, or nothing cached. */
export type CacheStatus = "hit" | "partial" | "miss";

export interface PositionPage {
  events: StoredEvent[];
  /** Everything at or below this position is final: no event will later appear there. */
  watermark: number;
  /** Pass as `after` to continue. */
  next: number;
  /** How the edge's shard cache served the page (absent without a cache): `hit` or `miss`. */
  cache?: Extract<CacheStatus, "hit" | "miss">;
}

/** The edge's shard cache as reads by position use it (see cache/position-cache.ts). */
export interface PositionCache {
  /**
   * The page the cache alone answers (every routed range cached from `after`), or null. With
   * `current` false the watermark may be an older one: only a page the cache cuts short of what it
   * holds below it is served.
   */
  serve(entry: RouteEntry, after: number, limit: number, watermark: number, current?: boolean): { events: StoredEvent[]; next: number } | null;
  /** Told a page the hosts answered: `events` is every event in (after, next], of every range. */
  filled(entry: RouteEntry, after: number, next: number, events: readonly StoredEvent[]): void;
}

/** Reads by global position (merged across hosts, never past the watermark) and by key. */
export class ReadService {
  constructor(
    private readonly deps: {
      routing: RoutingCache;
      sequences: SequenceAllocator;
      hosts: HostReader;
      observer?: ReadObserver;
      /** The shard cache, when the edge has one: it serves and keeps position pages. */
      positionCache?: PositionCache;
      /** Told when different events were found at one position (both are returned). */
      onSeqConflict?: (streamId: string, seq: number, events: readonly StoredEvent[]) => void;
      /** Refuses positions no write was given (absent: every position past the watermark gets an empty page). */
      issued?: IssuedPositions;
    },
  ) {}

  private merge(streamId: string, events: StoredEvent[]): StoredEvent[] {
    return mergeBySeq(events, (seq, group) => this.deps.onSeqConflict?.(streamId, seq, group));
  }

  private async stream(name: string) {
    const entry = await this.deps.routing.get(name);
    if (!entry) throw new ShardcastError("not_found", `unknown stream "${name}"`);
    return entry;
  }

  /** Times `read` and reports it to the observer's `answered`. */
  private async timed<T>(stream: string, kind: ReadKind, read: () => Promise<T>, count: (res: T) => number): Promise<T> {
    const observer = this.deps.observer;
    if (!observer?.answered) return read();
    const started = performance.now();
    try {
      const res = await read();
      observer.answered(stream, kind, { outcome: "ok", events: count(res), latencyMs: performance.now() - started });
      return res;
    } catch (err) {
      observer.answered(streamLabel(stream, err), kind, { outcome: failureOutcome(err), events: 0, latencyMs: performance.now() - started });
      throw err;
    }
  }

  byPosition(streamName: string, afterSeq: number, limit: number, reader?: ReaderIdentity): Promise<PositionPage> {
    return this.timed(streamName, "position", () => this.readByPosition(streamName, afterSeq, limit, reader), (page) => page.events.length);
  }

  byKey(streamName: string, key: string, q: { fromTs?: number; toTs?: number; limit: number }, reader?: ReaderIdentity): Promise<StoredEvent[]> {
    return this.timed(streamName, "key", () => this.readByKey(streamName, key, q, reader), (events) => events.length);
  }

  private async readByPosition(streamName: string, afterSeq: number, limit: number, reader?: ReaderIdentity): Promise<PositionPage> {
    const started = performance.now();
    let entry = await this.stream(streamName);
    const cache = this.deps.positionCache;
    const hit = (page: { events: StoredEvent[]; next: number }, watermark: number): PositionPage => {
      if (reader) this.deps.observer?.read(entry, page.events, reader, performance.now() - started);
      return { ...page, watermark, cache: "hit" };
    };
    // A page the cache cuts short below a watermark this edge has already seen is final: no round trip to Redis (see CachedRangeReader).
    const seen = cache ? this.deps.sequences.seenWatermark(entry.meta.id) : undefined;
    if (cache && seen !== undefined && afterSeq < seen) {
      const early = cache.serve(entry, afterSeq, limit, seen, false);
      if (early) return hit(early, seen);
    }
    const watermark = await this.deps.sequences.watermark(entry.meta.id);
    if (afterSeq >= watermark) {
      if (afterSeq > watermark) await this.deps.issued?.check(entry, afterSeq);
      return { events: [], watermark, next: afterSeq };
    }
    const cached = cache?.serve(entry, afterSeq, limit, watermark);
    if (cached) return hit(cached, watermark);
    for (let attempt = 1; ; attempt++) {
      const read = await this.positionsFromHosts(entry, afterSeq, limit, watermark);
      if (read) {
        // Complete for every key range up to `next`, on routes no move had left behind: what the cache may keep.
        cache?.filled(entry, afterSeq, read.next, read.events);
        if (reader) this.deps.observer?.read(entry, read.events, reader, performance.now() - started);
        return { ...read, watermark, ...(cache ? { cache: "miss" as const } : {}) };
      }
      if (attempt >= MAX_ROUTE_ATTEMPTS) throw new ShardcastError("unavailable", "the shardlets being read are moving between hosts; retry shortly");
      const fresh = await this.deps.routing.refreshById(entry.meta.id, "fence");
      if (!fresh) throw new ShardcastError("not_found", `stream "${streamName}" was deleted`);
      entry = fresh;
    }
  }

  /** A page from every host that may hold the stream's events; null when a route turned out stale. */
  private async positionsFromHosts(entry: RouteEntry, afterSeq: number, limit: number, watermark: number): Promise<{ events: StoredEvent[]; next: number } | null> {
    // Shardlet hosts and shard home hosts (overflow logs) together hold every stored event.
    const hostIds = new Set<string>();
    for (const s of entry.table.all()) {
      hostIds.add(s.hostId);
      // A migrating shardlet's rows are on both hosts until its source is cleaned: reading both
      // keeps a reader whose route is one change behind (across the switch) complete.
      if (s.shadowHostId) hostIds.add(s.shadowHostId);
    }
    for (const shard of entry.shards.values()) hostIds.add(shard.homeHostId);
    // Two rows more than asked: a host holds at most two rows per position (its events and its
    // overflow log), so a full page spans at least two positions and the one before its last is complete.
    const hostLimit = limit + 2;
    const q = { streamId: entry.meta.id, afterSeq, maxSeq: watermark, limit: hostLimit };
    const hosts = this.deps.hosts;
    const pages = await Promise.all(
      [...hostIds].map(async (hostId) => {
        const events = await hosts.readByPosition(hostId, q);
        // After the read, as key reads check: a shardlet this route puts on the host that has moved
        // off it (its rows there are being, or have been, deleted) means the page may lack its events.
        const stale = hosts.fences ? staleRoute(routedOnlyTo(entry, hostId), await hosts.fences(hostId, entry.meta.id)) : false;
        return { events, stale };
      }),
    );
    if (pages.some((p) => p.stale)) return null;
    // Every position up to `bound` has been seen from every host: a host that returned a full page
    // may hold more at and after its last row; one that returned less holds nothing more below the watermark.
    let bound = watermark;
    for (const { events } of pages) if (events.length >= hostLimit) bound = Math.min(bound, events[events.length - 1]!.seq - 1);
    const merged = this.merge(
      entry.meta.id,
      pages.flatMap((p) => p.events).filter((e) => e.seq <= bound),
    );
    const events = pageOf(merged, limit);
    const next = events.length < merged.length ? events[events.length - 1]!.seq : bound;
    return { events, next };
  }

  private async readByKey(streamName: string, key: string, q: { fromTs?: number; toTs?: number; limit: number }, reader?: ReaderIdentity): Promise<StoredEvent[]> {
    const started = performance.now();
    let entry = await this.stream(streamName);
    const hash = keyHash(key);
    let pages: StoredEvent[][] = [];
    for (let attempt = 1; ; attempt++) {
      const route = entry.table.lookup(hash);
      const hostIds = new Set([route.hostId]);
      if (route.shadowHostId) hostIds.add(route.shadowHostId); // being migrated: rows on both hosts
      const home = entry.shards.get(route.shardId)?.homeHostId;
      if (home) hostIds.add(home); // the key's events may still sit in its shard's overflow log
      const query = { streamId: entry.meta.id, key, ...q };
      pages = await Promise.all([...hostIds].map((h) => this.deps.hosts.readByKey(h, query)));
      // After the read: if the shardlet has moved off the host this route names (its rows there
      // are being, or have been, deleted), the route is stale; read again with a fresh one.
      const fence = this.deps.hosts.fence && !route.shadowHostId ? await this.deps.hosts.fence(route.hostId, route.id) : undefined;
      if (fence === undefined || (fence !== null && !MOVED_AWAY.has(fence.state)) || attempt >= MAX_ROUTE_ATTEMPTS) break;
      const fresh = await this.deps.routing.refreshById(entry.meta.id, "fence");
      if (!fresh) throw new ShardcastError("not_found", `stream "${streamName}" was deleted`);
      entry = fresh;
    }
    const events = this.merge(entry.meta.id, pages.flat())
      .sort((a, b) => a.ts - b.ts || a.seq - b.seq || compareText(identity(a), identity(b)))
      .slice(0, q.limit);
    if (reader) this.deps.observer?.read(entry, events, reader, performance.now() - started);
    return events;
  }
}

/** The shardlets the route sends to `hostId` alone (no migration shadow that also holds their rows). */
function routedOnlyTo(entry: RouteEntry, hostId: string): string[] {
  return entry.table
    .all()
    .filter((s) => s.hostId === hostId && !s.shadowHostId)
    .map((s) => s.id);
}

/** What makes two rows the same event: everything but where it is stored. */
function identity(e: StoredEvent): string {
  return JSON.stringify([e.key, e.id, e.type, e.ts, e.payload]);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Sorted by seq. Copies of one event (read from an overflow log and the shardlet it was drained
 * into, or from both hosts of a migration) become one; different events at one position, which
 * the allocator never hands out, are all kept, in an order that does not depend on which host
 * answered first, and reported.
 */
export function mergeBySeq(events: StoredEvent[], onConflict?: (seq: number, events: StoredEvent[]) => void): StoredEvent[] {
  // Identities are texts of whole events, so they are made only where two rows share a position
  // (a copy, or a conflict): on the common path, a page from one host, no event needs one.
  const sorted = [...events].sort((a, b) => a.seq - b.seq);
  const out: StoredEvent[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i + 1;
    while (j < sorted.length && sorted[j]!.seq === sorted[i]!.seq) j++;
    if (j === i + 1) {
      out.push(sorted[i]!);
    } else {
      const keyed = sorted.slice(i, j).map((e) => ({ e, id: identity(e) }));
      keyed.sort((a, b) => compareText(a.id, b.id));
      const groupStart = out.length;
      for (let k = 0; k < keyed.length; k++) if (k === 0 || keyed[k]!.id !== keyed[k - 1]!.id) out.push(keyed[k]!.e);
      if (out.length - groupStart > 1) onConflict?.(sorted[i]!.seq, out.slice(groupStart));
    }
    i = j;
  }
  return out;
}

/**
 * The first `limit` events, never ending inside a position: a reader continues after the last
 * position it got, so the rest of that position would be skipped. Longer than `limit` only when
 * the first position alone holds more.
 */
export function pageOf(events: StoredEvent[], limit: number): StoredEvent[] {
  const end = pageEnd(events, limit);
  return end === events.length ? events : events.slice(0, end);
}

/** How many of the first `length` events `pageOf` keeps of them (for a caller that cuts an array it owns in place). */
export function pageEnd(events: readonly StoredEvent[], limit: number, length = events.length): number {
  if (length <= limit) return length;
  let end = limit;
  while (end > 0 && events[end]!.seq === events[end - 1]!.seq) end--;
  if (end > 0) return end;
  const first = events[0]!.seq;
  end = 1;
  while (end < length && events[end]!.seq === first) end++;
  return end;
}
