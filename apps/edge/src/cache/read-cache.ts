import { hostname } from "node:os";
import { keyHash, PREFETCH_LEAD_STEPS, predictedRead, PrefetchQueue, type StoredEvent } from "@shardcast/core";
import { CACHE_HISTORY_LENGTH, CORRELATION_STEP_MS, READ_CACHE_TTL_SEC, readCacheKeys, readPinSet, readPrefetchMap, type Logger, type PublishedPrefetchMap, type SequenceAllocator } from "@shardcast/runtime";
import type { Redis } from "ioredis";
import type { ReadObserver } from "../reads.ts";
import type { RouteEntry, RoutingCache } from "../routing-cache.ts";
import { AnnouncedReads, type AnnouncedPrefetch } from "./announced-reads.ts";
import { FieldSources, type WrittenEvent } from "./field-sources.ts";
import { CacheStats } from "./cache-stats.ts";
import { CachedRangeReader, type RangeSource } from "./cached-reader.ts";
import { CorrelationCounter } from "./correlation-counts.ts";
import { CachedPositions } from "./position-cache.ts";
import { ShardCache } from "./shard-cache.ts";

export interface ReadCacheConfig {
  /** Byte budget of the shard cache; 0 turns cache and prefetch off. */
  maxBytes: number;
  /** Bytes the prefetcher may pull per second (bounded bandwidth). */
  prefetchBytesPerSec: number;
  /** How often counts and the cache snapshot go to Redis, and the prefetch maps are re-read. */
  flushMs: number;
}

interface ReaderPosition {
  after: number;
  at: number;
  /** Bytes of the read that left the reader there: what its next read, and a prefetch of it, likely takes. */
  bytes: number;
}

/** How long a reader's position on a shardlet is remembered as where its next read starts. */
const POSITION_TTL_MS = 5 * 60_000;
const PREFETCH_TICK_MS = 250;
/** Events per prefetch read (one host round trip; the cache entry grows with later reads). */
const PREFETCH_LIMIT = 2_000;

/**
 * The edge's read path cache: the shard cache in front of consumer range reads, the counts the
 * worker's correlation engine learns from, and the prefetcher acting on the engine's map (an
 * event of a type that announces reads of some shardlets queues them, ordered by when the reads
 * are predicted to arrive).
 */
export class EdgeReadCache {
  readonly edgeId = `${hostname()}:${process.pid}`;
  readonly cache: ShardCache;
  readonly stats = new CacheStats();
  readonly counts: CorrelationCounter;
  readonly queue = new PrefetchQueue({ leadMs: PREFETCH_LEAD_STEPS * CORRELATION_STEP_MS });
  readonly announced = new AnnouncedReads();
  readonly fields = new FieldSources();
  /** Reads by position through the cache (used only while the cache is on). */
  readonly positionReads: CachedPositions;
  private cached: CachedRangeReader | null = null;
  private readonly maps = new Map<string, PublishedPrefetchMap>();
  /** `stream \t shardlet` -> reader group -> (position its next read starts after, when, bytes of that read). */
  private readonly positions = new Map<string, Map<string, ReaderPosition>>();
  private timers: NodeJS.Timeout[] = [];
  private prefetching = false;

  constructor(
    private readonly cfg: ReadCacheConfig,
    private readonly deps: {
      redis: Redis;
      prefix: string;
      routing: RoutingCache;
      sequences: SequenceAllocator;
      log: Logger;
      clock?: () => number;
      /** Bytes of events per page the cache serves (default `MAX_PAGE_BYTES`), as the hosts' readers are given. */
      pageBytes?: number;
    },
  ) {
    this.cache = new ShardCache({
      maxBytes: cfg.maxBytes,
      ...(deps.clock ? { clock: deps.clock } : {}),
      onWastedPrefetch: (e) => {
        this.stats.total.wastedPrefetches++;
        this.stats.total.wastedPrefetchBytes += e.bytes;
        this.fields.settle(`${e.streamId}\t${e.shardletId}`, false, this.now());
      },
    });
    this.positionReads = new CachedPositions({ cache: this.cache, stats: this.stats, pageBytes: deps.pageBytes });
    this.counts = new CorrelationCounter({ redis: deps.redis, prefix: deps.prefix, log: deps.log, ...(deps.clock ? { clock: deps.clock } : {}) });
  }

  get enabled(): boolean {
    return this.cfg.maxBytes > 0;
  }

  private now(): number {
    return (this.deps.clock ?? Date.now)();
  }

  /** The consumer reads, through the cache when it is on. */
  wrap(inner: RangeSource, observer?: ReadObserver): RangeSource {
    if (!this.enabled) return inner;
    this.cached = new CachedRangeReader({ inner, cache: this.cache, stats: this.stats, sequences: this.deps.sequences, pageBytes: this.deps.pageBytes, ...(observer ? { observer } : {}), onServed: (streamId, shardletId, group, next, bytes) => this.remember(streamId, shardletId, group, next, bytes) });
    return this.cached;
  }

  /** The cached consumer reader (null while the cache is off or before `wrap`). */
  get reader(): CachedRangeReader | null {
    return this.cached;
  }

  private remember(streamId: string, shardletId: string, group: string, after: number, bytes: number): void {
    const key = `${streamId}\t${shardletId}`;
    let byGroup = this.positions.get(key);
    if (!byGroup) this.positions.set(key, (byGroup = new Map<string, ReaderPosition>()));
    byGroup.set(group, { after, at: this.now(), bytes });
    this.fields.settle(key, true, this.now());
    // `group` is `client \t group`; the map's targets are clients.
    const reader = group.slice(0, Math.max(0, group.indexOf("\t")));
    for (const c of this.announced.read(streamId, shardletId, reader, this.now(), this.maps.get(streamId)?.threshold ?? Infinity)) {
      this.protect(streamId, c);
      this.fetch(c);
    }
  }

  /** A cached shardlet is not fetched again, but the announcement keeps it from being evicted. */
  private protect(streamId: string, pr: AnnouncedPrefetch): void {
    this.cache.predict(streamId, pr.shardletId, { p: pr.p, until: pr.until });
  }

  private fetch(pr: AnnouncedPrefetch): void {
    this.queue.push({ shardletId: pr.key, p: pr.p, dueAt: pr.dueAt, target: pr.target });
  }

  /** Where the next read of a shardlet starts: the lowest recent position of its readers (and that read's size). */
  private readerPosition(streamId: string, shardletId: string): ReaderPosition | null {
    const byGroup = this.positions.get(`${streamId}\t${shardletId}`);
    if (!byGroup) return null;
    let low: ReaderPosition | null = null;
    for (const [g, p] of byGroup) {
      if (this.now() - p.at > POSITION_TTL_MS) byGroup.delete(g);
      else if (!low || p.after < low.after) low = p;
    }
    return low;
  }

  /** Positions of readers gone quiet (and of shardlets split or merged away) are dropped. */
  private forgetStalePositions(): void {
    const now = this.now();
    for (const [key, byGroup] of this.positions) {
      for (const [g, p] of byGroup) if (now - p.at > POSITION_TTL_MS) byGroup.delete(g);
      if (byGroup.size === 0) this.positions.delete(key);
    }
  }

  /**
   * Ack-path hook: counts the batch's types (and values of the fields the map names) and queues the
   * prefetches they announce.
   */
  written(streamId: string, events: readonly WrittenEvent[]): void {
    const types = events.map((e) => e.type ?? null);
    this.counts.written(streamId, types);
    const m = this.maps.get(streamId);
    const values = FieldSources.values(m?.fields ?? [], events);
    for (const [field, byValue] of values) for (const [v, n] of byValue) this.counts.value(streamId, field, v, n);
    if (!this.enabled || !m) return;
    const seen = new Set<string>();
    const rows: Array<[string, PublishedPrefetchMap["map"][string]]> = [];
    for (const t of types) {
      if (!t || seen.has(t)) continue;
      seen.add(t);
      const targets = m.map[t];
      if (targets) rows.push([t, targets]);
    }
    const now = this.now();
    for (const [key, targets] of [...rows, ...this.fields.rows(m, values, now)]) {
      const { now: due, predicted } = this.announced.announce(streamId, key, targets, m.threshold, m.stepMs, now);
      // Every pair acted on protects its entry if cached; one that waits for its announcement's first read is not queued yet.
      for (const pr of predicted) this.protect(streamId, pr);
      for (const pr of due) {
        this.fields.queued(pr.key, key, now);
        this.fetch(pr);
      }
    }
  }

  /** Read hook: reads per shardlet and reader, for the correlation engine. */
  readObserver(): ReadObserver {
    return {
      read: (entry: RouteEntry, events: readonly StoredEvent[], reader) => {
        const per = new Map<string, number>();
        for (const e of events) {
          const id = entry.table.lookup(keyHash(e.key)).id;
          per.set(id, (per.get(id) ?? 0) + 1);
        }
        for (const [id, n] of per) this.counts.read(entry.meta.id, id, reader.client, n);
      },
    };
  }

  start(): void {
    this.counts.start(this.cfg.flushMs);
    const every = (ms: number, f: () => Promise<unknown>) => {
      const t = setInterval(() => void f().catch((err: unknown) => this.deps.log.warn("read cache background task failed", { err })), ms);
      t.unref();
      this.timers.push(t);
    };
    every(this.cfg.flushMs, () => this.publish());
    // Maps are read with the cache off too: they name the payload fields whose values this edge counts.
    if (!this.enabled) every(this.cfg.flushMs, () => this.loadMaps());
    if (this.enabled) {
      every(this.cfg.flushMs, () => Promise.all([this.loadMaps(), this.loadPins()]));
      void this.loadPins().catch((err: unknown) => this.deps.log.warn("pin set not loaded", { err }));
      every(PREFETCH_TICK_MS, () => this.prefetchDue());
    }
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    await this.counts.stop();
  }

  /**
   * Re-reads the placement job's pin set (at start, on its announcement and with the maps): the
   * pinned shardlets' entries are shielded from eviction, and an unpinned one competes again.
   */
  async loadPins(): Promise<void> {
    if (!this.enabled) return;
    const set = await readPinSet(this.deps.redis, this.deps.prefix);
    const pins = set?.pins ?? [];
    this.cache.pin(pins, set?.budgetShare ?? 0);
    this.stats.pinnedKeys = new Set(pins.map((p) => `${p.streamId}\t${p.shardletId}`));
  }

  /** Re-reads the prefetch maps of the streams this edge routes. */
  async loadMaps(): Promise<void> {
    this.forgetStalePositions();
    const routed = this.deps.routing.entries();
    // A deleted (or re-created) stream's entries must not outlive it.
    this.cache.retainStreams(new Set(routed.map((e) => e.meta.id)));
    for (const entry of routed) {
      const m = await readPrefetchMap(this.deps.redis, this.deps.prefix, entry.meta.id);
      if (m) this.maps.set(entry.meta.id, m);
      else this.maps.delete(entry.meta.id);
    }
  }

  /** Pulls the due prefetches into the cache, within this tick's share of the bandwidth. */
  async prefetchDue(at = this.now()): Promise<number> {
    if (!this.cached || this.prefetching) return 0;
    this.prefetching = true;
    this.announced.expire(at);
    this.fields.expire(at);
    try {
      const budget = (this.cfg.prefetchBytesPerSec * PREFETCH_TICK_MS) / 1000;
      const due = this.queue.take(at, budget, () => budget / 8);
      let bytes = 0;
      for (const d of due) {
        const [streamId, shardletId] = d.shardletId.split("\t") as [string, string];
        const entry = this.deps.routing.entries().find((e) => e.meta.id === streamId);
        const at = this.readerPosition(streamId, shardletId);
        if (!entry || at === null) continue; // nobody reads it through this edge: nothing to warm
        const stepMs = this.maps.get(streamId)?.stepMs ?? CORRELATION_STEP_MS;
        const got = await this.cached.prefetch(entry, shardletId, at.after, PREFETCH_LIMIT, predictedRead(d.p, d.dueAt, stepMs), at.bytes > 0 ? at.bytes : undefined);
        this.fields.filled(d.shardletId, got);
        bytes += got;
      }
      return bytes;
    } finally {
      this.prefetching = false;
    }
  }

  /** The cache snapshot for the console: latest per edge, and a capped history. */
  async publish(): Promise<void> {
    const snap = this.stats.snapshot(this.now(), { entries: this.cache.entries, bytes: this.cache.bytes, maxBytes: this.cache.maxBytes, ...this.cache.goingRate() }, this.cache.pinned());
    const json = JSON.stringify({ edgeId: this.edgeId, queued: this.queue.size, waiting: this.announced.waiting, sources: this.fields.scores(this.now()), ...snap });
    const hist = readCacheKeys.history(this.deps.prefix, this.edgeId);
    await this.deps.redis
      .multi()
      .hset(readCacheKeys.stats(this.deps.prefix), this.edgeId, json)
      .lpush(hist, JSON.stringify({ at: snap.at, hits: snap.hits, misses: snap.misses, bytesFromCache: snap.bytesFromCache, bytesFromHosts: snap.bytesFromHosts, prefetchedBytes: snap.prefetchedBytes, wastedPrefetchBytes: snap.wastedPrefetchBytes }))
      .ltrim(hist, 0, CACHE_HISTORY_LENGTH - 1)
      .expire(hist, READ_CACHE_TTL_SEC)
      .exec();
  }
}
