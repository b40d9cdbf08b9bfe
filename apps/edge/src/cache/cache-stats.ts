/** Cache counters of one edge: totals and per shardlet (the busiest, bounded). */
export interface CacheCounters {
  /** Part reads answered with cached events (a hit may still read the tail past the entry from the hosts). */
  hits: number;
  /** Part reads no entry covered. */
  misses: number;
  /** Misses inside what the shardlet's evicted entry held: a longer-kept entry would have served them (what a pin can save). */
  evictedMisses: number;
  bytesFromCache: number;
  bytesFromHosts: number;
  /** Reads answered from the cache alone, without a host read. */
  hostReadsSaved: number;
  /** Of those, reads answered below a watermark the edge had already seen: no Redis round trip either. */
  watermarkReadsSaved: number;
  prefetches: number;
  prefetchedBytes: number;
  /** Prefetched entries evicted before any read (or refused by the cache after the fetch). */
  wastedPrefetches: number;
  wastedPrefetchBytes: number;
  /** Prefetches the cache refused: they would have evicted entries worth more per byte. */
  skippedPrefetches: number;
  /** Consumer group members' next pages read into the cache while they worked (see CachedRangeReader.readAhead). */
  readAheads: number;
  readAheadBytes: number;
}

export interface CacheStatsSnapshot extends CacheCounters {
  at: number;
  entries: number;
  bytes: number;
  maxBytes: number;
  /** What recently evicted entries were worth per byte (a read chance within `horizonMs`): what the placement job charges a pin's shielded bytes. */
  marginalValuePerByte: number;
  horizonMs: number;
  shardlets: Array<{ streamId: string; shardletId: string } & Pick<CacheCounters, "hits" | "misses" | "evictedMisses" | "bytesFromCache" | "bytesFromHosts">>;
  /** Pinned shardlets, the bytes their entries hold and whether they are shielded from eviction now. */
  pinned: PinnedShardlet[];
}

export interface PinnedShardlet {
  streamId: string;
  shardletId: string;
  bytes: number;
  shielded: boolean;
}

const MAX_SHARDLETS = 200;
/** Shardlets in a snapshot: the busiest overall, and at least this many of every stream. */
const TOP_SHARDLETS = 50;
const TOP_PER_STREAM = 10;

function zero(): CacheCounters {
  return { hits: 0, misses: 0, evictedMisses: 0, bytesFromCache: 0, bytesFromHosts: 0, hostReadsSaved: 0, watermarkReadsSaved: 0, prefetches: 0, prefetchedBytes: 0, wastedPrefetches: 0, wastedPrefetchBytes: 0, skippedPrefetches: 0, readAheads: 0, readAheadBytes: 0 };
}

export class CacheStats {
  readonly total: CacheCounters = zero();
  /**
   * `stream \t shardlet` of the pinned shardlets: their counters are always in the snapshot and
   * never forgotten, since the placement job measures each pin's reward from them.
   */
  pinnedKeys: ReadonlySet<string> = new Set();
  private readonly perShardlet = new Map<string, { streamId: string; shardletId: string; hits: number; misses: number; evictedMisses: number; bytesFromCache: number; bytesFromHosts: number }>();

  part(streamId: string, shardletId: string, hit: boolean, bytesFromCache: number, bytesFromHosts: number, evictedMiss = false): void {
    if (hit) this.total.hits++;
    else this.total.misses++;
    if (evictedMiss) this.total.evictedMisses++;
    this.total.bytesFromCache += bytesFromCache;
    this.total.bytesFromHosts += bytesFromHosts;
    const key = `${streamId}\t${shardletId}`;
    let s = this.perShardlet.get(key);
    if (!s) {
      // Bounded: a stream with many short-lived shardlets must not grow this without end.
      if (this.perShardlet.size >= MAX_SHARDLETS) this.evictQuietest();
      s = { streamId, shardletId, hits: 0, misses: 0, evictedMisses: 0, bytesFromCache: 0, bytesFromHosts: 0 };
      this.perShardlet.set(key, s);
    }
    if (hit) s.hits++;
    else s.misses++;
    if (evictedMiss) s.evictedMisses++;
    s.bytesFromCache += bytesFromCache;
    s.bytesFromHosts += bytesFromHosts;
  }

  private evictQuietest(): void {
    let quietest: string | null = null;
    let least = Number.POSITIVE_INFINITY;
    for (const [k, s] of this.perShardlet) {
      if (this.pinnedKeys.has(k)) continue;
      const n = s.hits + s.misses;
      if (n < least) {
        least = n;
        quietest = k;
      }
    }
    if (quietest) this.perShardlet.delete(quietest);
  }

  snapshot(at: number, cache: { entries: number; bytes: number; maxBytes: number; marginalValuePerByte: number; horizonMs: number }, pinned: PinnedShardlet[] = []): CacheStatsSnapshot {
    const sorted = [...this.perShardlet].sort(([, a], [, b]) => b.hits + b.misses - (a.hits + a.misses));
    // The busiest overall, and each stream's busiest too: the console lists them per stream, and a
    // quietly read stream (a ledger a reporter reads now and then) would otherwise never show
    // beside a busy one's tail readers.
    const perStream = new Map<string, number>();
    const shardlets = sorted
      .filter(([k, s], i) => {
        const rank = perStream.get(s.streamId) ?? 0;
        perStream.set(s.streamId, rank + 1);
        return i < TOP_SHARDLETS || rank < TOP_PER_STREAM || this.pinnedKeys.has(k);
      })
      .map(([, s]) => ({ ...s }));
    return { at, ...this.total, ...cache, shardlets, pinned };
  }
}
