import { compareText, eventIdentity, keyHash, keyPageEnd, MAX_PAGE_BYTES, mergeBySeq, mergedPage, ShardcastError, type StoredEvent } from "@shardcast/core";
import type { KeyReadResult, PositionReadResult, ReadByKeyQuery, ReadByPositionQuery } from "@shardcast/db/host";
import type { SequenceAllocator } from "@shardcast/runtime";
import { failureOutcome, streamLabel } from "./failure-labels.ts";
import type { IssuedPositions } from "./issued-positions.ts";
import type { RouteEntry, RoutingCache } from "./routing-cache.ts";
import type { ReaderIdentity } from "./telemetry/counters.ts";
import { MOVED_AWAY, staleRoute } from "./route-fences.ts";
import { storedBytes } from "./stored-bytes.ts";

export interface HostReader {
  readByPosition(hostId: string, q: ReadByPositionQuery): Promise<PositionReadResult>;
  readByKey(hostId: string, q: ReadByKeyQuery): Promise<KeyReadResult>;
  /** A shardlet's fence on a host (null: none), to tell a stale route after a read. */
  fence?(hostId: string, shardletId: string): Promise<{ epoch: number; state: string } | null>;
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
  /**
   * Retention: the stream's first stored position, present when `after` lies before it (events
   * between them expired); the page then starts at the oldest stored event.
   */
  start?: number;
}

/** A key's events in (time, position) order. */
export interface KeyPage {
  events: StoredEvent[];
  /** Present when the range may hold more: pass as `from` and `after` to continue. */
  next?: { from: number; after: number };
}

/** A read by key: events at or after `fromTs` (and after `afterSeq` at `fromTs` itself), before `toTs`. */
export interface KeyQuery {
  fromTs?: number;
  toTs?: number;
  afterSeq?: number;
  limit: number;
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
      /** Bytes of events per page read from the hosts (default `MAX_PAGE_BYTES`). */
      pageBytes?: number;
    },
  ) {}

  /** Retention: each stream's highest start the hosts reported (see `expiredBefore`). */
  private readonly starts = new Map<string, number>();

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

  byKey(streamName: string, key: string, q: KeyQuery, reader?: ReaderIdentity): Promise<KeyPage> {
    return this.timed(streamName, "key", () => this.readByKey(streamName, key, q, reader), (page) => page.events.length);
  }

  private async readByPosition(streamName: string, afterSeq: number, limit: number, reader?: ReaderIdentity): Promise<PositionPage> {
    const started = performance.now();
    let entry = await this.stream(streamName);
    // Retention: the cache may still hold events that expired; a read before the start goes to the hosts.
    const cache = afterSeq + 1 < (this.starts.get(entry.meta.id) ?? 0) ? undefined : this.deps.positionCache;
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
  private async positionsFromHosts(entry: RouteEntry, afterSeq: number, limit: number, watermark: number): Promise<{ events: StoredEvent[]; next: number; start?: number } | null> {
    // Shardlet hosts and shard home hosts (overflow logs) together hold every stored event.
    const hostIds = new Set<string>();
    for (const s of entry.table.all()) {
      hostIds.add(s.hostId);
      // A migrating shardlet's rows are on both hosts until its source is cleaned: reading both
      // keeps a reader whose route is one change behind (across the switch) complete.
      if (s.shadowHostId) hostIds.add(s.shadowHostId);
      // History a hand-off left where it was written (sealed predecessors of the range).
      for (const h of s.historyHostIds ?? []) hostIds.add(h);
    }
    for (const shard of entry.shards.values()) hostIds.add(shard.homeHostId);
    // Two rows more than asked: a host holds at most two rows per position (its events and its
    // overflow log), so a page it cuts by count before its last position still fills `limit`.
    // Each host stops at the page's bytes too: past them the edge would cut the page anyway.
    const pageBytes = this.deps.pageBytes ?? MAX_PAGE_BYTES;
    const q = { streamId: entry.meta.id, afterSeq, maxSeq: watermark, limit: limit + 2, maxBytes: pageBytes };
    const pages = await Promise.all(
      [...hostIds].map(async (hostId) => {
        const fenceIds = routedOnlyTo(entry, hostId);
        const page = await this.deps.hosts.readByPosition(hostId, { ...q, fenceIds });
        // In the rows' own snapshot: a shardlet this route puts on the host that has moved off it
        // (its rows there are being, or have been, deleted) means the page may lack its events. A
        // host reader that reports no fences is not checked.
        const stale = page.fences ? staleRoute(fenceIds, page.fences) : false;
        return { ...page, stale };
      }),
    );
    if (pages.some((p) => p.stale)) return null;
    // Each host says how far its answer is complete (short of the watermark when it stopped at the count or the bytes).
    const page = mergedPage(pages, watermark, limit, {
      maxBytes: pageBytes,
      size: storedBytes,
      onConflict: (seq, group) => this.deps.onSeqConflict?.(entry.meta.id, seq, group),
    });
    for (const p of pages) if (p.start !== undefined && p.start > (this.starts.get(entry.meta.id) ?? 0)) this.starts.set(entry.meta.id, p.start);
    return { ...page, ...expiredBefore(pages, afterSeq) };
  }

  private async readByKey(streamName: string, key: string, q: KeyQuery, reader?: ReaderIdentity): Promise<KeyPage> {
    const started = performance.now();
    let entry = await this.stream(streamName);
    const hash = keyHash(key);
    const pageBytes = this.deps.pageBytes ?? MAX_PAGE_BYTES;
    let pages: KeyReadResult[] = [];
    for (let attempt = 1; ; attempt++) {
      const route = entry.table.lookup(hash);
      const hostIds = new Set([route.hostId]);
      if (route.shadowHostId) hostIds.add(route.shadowHostId); // being migrated: rows on both hosts
      for (const h of route.historyHostIds ?? []) hostIds.add(h); // handed off: older rows stay where they were written
      const home = entry.shards.get(route.shardId)?.homeHostId;
      if (home) hostIds.add(home); // the key's events may still sit in its shard's overflow log
      // One row more than asked: a host that fills it may hold more than the page. Each host stops
      // at the page's bytes too: past them the edge would cut the page anyway.
      const query = { streamId: entry.meta.id, key, ...q, limit: q.limit + 1, maxBytes: pageBytes };
      pages = await Promise.all([...hostIds].map((h) => this.deps.hosts.readByKey(h, query)));
      // After the read: if the shardlet has moved off the host this route names (its rows there
      // are being, or have been, deleted), the route is stale; read again with a fresh one.
      const fence = this.deps.hosts.fence && !route.shadowHostId ? await this.deps.hosts.fence(route.hostId, route.id) : undefined;
      if (fence === undefined || (fence !== null && !MOVED_AWAY.has(fence.state))) break;
      // The pages may lack the moved shardlet's rows and no host would report `more`: an answer
      // without `next` would tell the reader the range has no more.
      if (attempt >= MAX_ROUTE_ATTEMPTS) throw new ShardcastError("unavailable", "the shardlets being read are moving between hosts; retry shortly");
      const fresh = await this.deps.routing.refreshById(entry.meta.id, "fence");
      if (!fresh) throw new ShardcastError("not_found", `stream "${streamName}" was deleted`);
      entry = fresh;
    }
    // A host that filled its page (by count or by bytes) may hold more after its last row, so
    // nothing past that row is certain to be complete; up to the first such row, every host's rows
    // have been seen.
    const full = pages.filter((p) => p.more && p.events.length > 0).map((p) => p.events[p.events.length - 1]!);
    const beyond = (e: StoredEvent) => full.some((b) => e.ts > b.ts || (e.ts === b.ts && e.seq > b.seq));
    const sorted = this.merge(
      entry.meta.id,
      pages.flatMap((p) => p.events),
    ).sort((a, b) => a.ts - b.ts || a.seq - b.seq || compareText(eventIdentity(a), eventIdentity(b)));
    const complete = full.length > 0 ? sorted.filter((e) => !beyond(e)) : sorted;
    const end = keyPageEnd(complete, q.limit, pageBytes, storedBytes);
    const events = end === complete.length ? complete : complete.slice(0, end);
    if (reader) this.deps.observer?.read(entry, events, reader, performance.now() - started);
    const last = events[events.length - 1];
    return last && (end < sorted.length || full.length > 0) ? { events, next: { from: last.ts, after: last.seq } } : { events };
  }
}

/** The shardlets the route sends to `hostId` alone (no migration shadow that also holds their rows). */
function routedOnlyTo(entry: RouteEntry, hostId: string): string[] {
  return entry.table
    .all()
    .filter((s) => s.hostId === hostId && !s.shadowHostId)
    .map((s) => s.id);
}

/**
 * Retention: the stream's first stored position when `afterSeq` lies before it. Each host reports
 * the start it skips rows below; while a run records a new start host by host they may differ for
 * a moment, and the lowest is where the returned events begin.
 */
function expiredBefore(pages: ReadonlyArray<{ start?: number }>, afterSeq: number): { start?: number } {
  let start: number | undefined;
  for (const p of pages) if (p.start !== undefined && (start === undefined || p.start < start)) start = p.start;
  return start !== undefined && start > afterSeq + 1 ? { start } : {};
}
