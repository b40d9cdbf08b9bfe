/** What a `ValueCache` is built with; the eviction policy it configures is described in value-cache.ts. */
export interface ValueCacheOptions<V> {
  maxBytes: number;
  horizonMs: number;
  /** Half-life of an entry's read history, ms (default 30 horizons). */
  halfLifeMs?: number;
  /**
   * Refuse a prefetch worth no more per byte than this multiple of what demand fills have lately
   * evicted (0: off; default 2). See `ValueCache`'s `#cut`.
   */
  cutMargin?: number;
  /**
   * Evicted entries whose read history is kept (most recent evictions), so a shardlet read again
   * comes back worth what its reads said rather than a newcomer's prior (0: none; default 4096).
   */
  historyEntries?: number;
  /** Entries no fill may evict now (pinned ones, see pinned-entries.ts); a read that missed falls back to them. */
  shielded?: (now: number) => ReadonlySet<string>;
  /** Told when an entry leaves by eviction or `delete`. */
  onEvict?: (key: string, value: V, how: Departure) => void;
}

export interface Departure {
  /** It was prefetched and never read. */
  unreadPrefetch: boolean;
  /** Evicted while a prediction still held (a prefetch evicted this way left before its read could come). */
  early: boolean;
}

/** A predicted read: probability `p` that it comes before `until` (ms). */
export interface Prediction {
  p: number;
  until: number;
}
