import { keyHash, PinGuard, ValueCache, type Cursor, type Prediction, type StoredEvent } from "@shardcast/core";
import { CORRELATION_STEP_MS } from "@shardcast/runtime";
import { ENTRY_OVERHEAD_BYTES, eventsWithin, firstAfter, segmentOf, sumBytes, trimFront, type CacheEntry, type CachedPart } from "./cache-entry.ts";
import { keepJson } from "./event-json.ts";
import { EvictedIntervals } from "./evicted-intervals.ts";

export interface ShardCacheOptions {
  /** Byte budget of the whole cache (estimated event sizes). */
  maxBytes: number;
  /** One entry may hold at most this share of the budget; older events are dropped first. */
  maxEntryShare?: number;
  /** Told when a prefetched entry leaves the cache without having been read. */
  onWastedPrefetch?: (entry: CacheEntry) => void;
  /** Clock of the entries' values, ms (tests and simulations pass their own). */
  clock?: () => number;
}

function entryKey(streamId: string, shardletId: string): string {
  return `${streamId}\t${shardletId}`;
}

/**
 * The edge's shard cache: recent events of shardlets, by key-hash range and sequence interval.
 *
 * Coherency rests on one property of the log: every event at or below the watermark is final. An
 * event's key hash and position never change, and a split, merge or move only changes which
 * shardlet and host hold it. So an entry that was read complete for a range [lo, hi) and the
 * positions (from, to], with `to` never above the watermark of that read, stays true for as long
 * as the stream exists: it needs no invalidation when the shardlet splits, merges or moves, only
 * extension as the log grows (a read of the tail past `to` appends to it) and dropping when the
 * stream is deleted. A child of a split is served from its parent's entry (its range lies inside);
 * the entry remembers the shardlet and epoch it was filled under, for display.
 *
 * Events are never written through from ingest: an edge sees only the writes it took, and a range
 * is written through every edge, so its own writes could never make an interval complete.
 *
 * Eviction only decides which complete entries stay, never what an entry holds, so it cannot break
 * the above. It is core's `ValueCache`: the cheapest entry per byte goes first, where an entry is
 * worth its announced read while the announcement holds and otherwise what its own reads say, and a
 * prefetch never evicts an entry worth more per byte than itself (see value-cache.ts). Entries of
 * the shardlets the placement job pinned are shielded from eviction while they fit the pin budget
 * (see pinned-entries.ts); a pin changes which entries stay, never what they hold, so the above
 * holds for them too (they are dropped with their stream like any other).
 */
export class ShardCache {
  // Not lru-cache, which orders by recency alone: a prefetch must not evict an entry likelier to be
  // read per byte, and the benchmark must simulate the same policy, so both use core's ValueCache.
  // The per-stream index on top finds the entry that covers a range (a split's child is served
  // from its parent's entry).
  private readonly store: ValueCache<CacheEntry>;
  private readonly pins: PinGuard;
  private readonly gone = new EvictedIntervals();
  private readonly byStream = new Map<string, Set<string>>();
  private readonly maxEntryBytes: number;
  private readonly now: () => number;

  constructor(private readonly opts: ShardCacheOptions) {
    this.maxEntryBytes = Math.max(1, Math.floor(opts.maxBytes * (opts.maxEntryShare ?? 0.25)));
    this.now = opts.clock ?? Date.now;
    this.store = new ValueCache<CacheEntry>({
      maxBytes: Math.max(1, opts.maxBytes),
      // A prediction names its read's step, so values are read chances within one step.
      horizonMs: CORRELATION_STEP_MS,
      shielded: (now) => this.pins.shielded(now),
      onEvict: (key, e, how) => {
        this.byStream.get(e.streamId)?.delete(key);
        if (how.unreadPrefetch) opts.onWastedPrefetch?.(e);
        this.gone.record(key, e);
      },
    });
    this.pins = new PinGuard({ maxBytes: Math.max(1, opts.maxBytes), bytesOf: (key) => this.store.peek(key)?.bytes, valuePerByte: (key, now) => this.store.valuePerByte(key, now) });
  }

  /** Replaces the pinned shardlets and the share of the budget their entries may hold shielded. */
  pin(shardlets: ReadonlyArray<{ streamId: string; shardletId: string }>, budgetShare: number): void {
    this.pins.set(
      shardlets.map((p) => entryKey(p.streamId, p.shardletId)),
      budgetShare,
    );
  }

  /** The pinned shardlets, the bytes their entries hold (0: none cached) and whether they are shielded now. */
  pinned(): Array<{ streamId: string; shardletId: string; bytes: number; shielded: boolean }> {
    const shielded = this.pins.shielded(this.now());
    return [...this.pins.keys].map((key) => {
      const [streamId, shardletId] = key.split("\t") as [string, string];
      return { streamId, shardletId, bytes: this.store.peek(key)?.bytes ?? 0, shielded: shielded.has(key) };
    });
  }

  get bytes(): number {
    return this.store.bytes;
  }

  get entries(): number {
    return this.store.size;
  }

  /** What the cache's recently evicted entries were worth per byte, and the horizon of that read chance: the price of a shielded byte. */
  goingRate(): { marginalValuePerByte: number; horizonMs: number } {
    return { marginalValuePerByte: this.store.marginalValuePerByte(this.now()), horizonMs: CORRELATION_STEP_MS };
  }

  get maxBytes(): number {
    return this.opts.maxBytes;
  }

  /** Entries, most recently used first (for display). */
  list(): CacheEntry[] {
    return [...this.store.entries()].map(([, e]) => e).reverse();
  }

  /**
   * The cached events of a part whose every segment's position is at or above an entry's `from`
   * (so the entry holds all that follows it), from the covering entry reaching furthest; null when
   * no entry covers the part. With `max`, the first `max` of them and any more at the last one's
   * position: a caller paging by `limit` passes `limit + 1`, so that the page can tell it is not
   * the last (the events left out all lie after those returned). With `shardletId`, the part's
   * own entry is taken when it covers (see `covering`).
   */
  lookup(streamId: string, lo: number, hi: number, cursor: Cursor, max = Number.POSITIVE_INFINITY, shardletId?: string): CachedPart | null {
    const best = this.covering(streamId, lo, hi, cursor, shardletId);
    if (!best) return null;
    const entry = best.entry;
    let low = Number.POSITIVE_INFINITY;
    for (const s of cursor) low = Math.min(low, s.after);
    this.store.read(best.key, this.now());
    const events: StoredEvent[] = [];
    const { events: held, hashes } = entry;
    // A cursor of one segment (a shardlet not split since its reader's last commit) needs no search per event.
    const one = cursor.length === 1 ? cursor[0] : undefined;
    let leftOut = Number.POSITIVE_INFINITY;
    for (let i = firstAfter(held, low); i < held.length; i++) {
      const e = held[i]!;
      const h = hashes[i]!;
      if (h < lo || h >= hi) continue;
      const seg = one ?? segmentOf(cursor, h);
      if (!seg || h < seg.lo || h >= seg.hi || e.seq <= seg.after) continue;
      // Past `max`, only the rest of the last position: a page never ends inside one. Copying the
      // whole tail of a large entry for every page made a reader catching up pay per page for
      // everything the entry holds after it. The first event left out tells the page whether it
      // is the last (when one position alone fills it, the extra event is not there to tell).
      if (events.length >= max && e.seq !== events[events.length - 1]!.seq) {
        leftOut = e.seq;
        break;
      }
      // Served before: this serve is a second one, and the text pays for itself from here on. A
      // first serve (an event a read-ahead filled) is serialized with its page, as a host read's is.
      if (e.seq <= entry.servedTo) keepJson(e);
      events.push(e);
    }
    return { entry, events, leftOut, to: entry.to };
  }

  /**
   * For each route of a read by position (routes tiling the key space, each a shardlet's range),
   * its events after `after` that an entry covers, one at a time in position order: the read merges
   * them and takes only what its page needs of each. Null unless every route is covered (one
   * uncached range means reading every host anyway); the entries count as read when the caller
   * calls `read`.
   */
  scanAll(streamId: string, routes: ReadonlyArray<{ id: string; lo: number; hi: number }>, after: number): { runs: Array<{ entry: CacheEntry; next: () => StoredEvent | undefined }>; read: () => void } | null {
    const found: Array<{ key: string; entry: CacheEntry }> = [];
    for (const r of routes) {
      const best = this.covering(streamId, r.lo, r.hi, [{ lo: r.lo, hi: r.hi, after }], r.id);
      if (!best) return null;
      found.push(best);
    }
    const runs = found.map(({ entry }, k) => {
      const { lo, hi } = routes[k]!;
      // The caller merges synchronously: no fill extends or trims the entry between these calls.
      const { events, hashes } = entry;
      let i = firstAfter(events, after);
      const next = (): StoredEvent | undefined => {
        while (i < events.length) {
          const h = hashes[i]!;
          const e = events[i++]!;
          if (h >= lo && h < hi) return e;
        }
        return undefined;
      };
      return { entry, next };
    });
    // Only a scan that answers the read counts as one in the entries' read histories: a caller may scan and then ask the hosts.
    const read = (): void => {
      const now = this.now();
      for (const { key } of found) this.store.read(key, now);
    };
    return { runs, read };
  }

  /**
   * The entry that holds all of [lo, hi) after the cursor, reaching furthest; with `shardletId`,
   * that shardlet's own entry when it covers the part (the one its reads keep extending, so the
   * furthest but for an older parent's), found without going through every entry of the stream:
   * a read by position asks once per route.
   */
  private covering(streamId: string, lo: number, hi: number, cursor: Cursor, shardletId?: string): { key: string; entry: CacheEntry } | null {
    const keys = this.byStream.get(streamId);
    if (!keys || cursor.length === 0) return null;
    let low = Number.POSITIVE_INFINITY;
    for (const s of cursor) low = Math.min(low, s.after);
    const holds = (e: CacheEntry | undefined): e is CacheEntry => e !== undefined && e.lo <= lo && e.hi >= hi && e.from <= low && e.to > low;
    if (shardletId !== undefined) {
      const key = entryKey(streamId, shardletId);
      const own = this.store.peek(key);
      if (holds(own)) return { key, entry: own };
    }
    let best: { key: string; entry: CacheEntry } | null = null;
    for (const key of keys) {
      const e = this.store.peek(key);
      if (holds(e) && (!best || e.to > best.entry.to)) best = { key, entry: e };
    }
    return best;
  }

  /**
   * Records that every event of [lo, hi) with from < seq <= to is `events` (more may be passed;
   * those outside are ignored). Extends the shardlet's entry when it ends at or after `from`,
   * else replaces it. A fill with `prediction` is a prefetch, stored only if the eviction policy
   * admits it. True when the cache now holds the interval.
   */
  fill(
    f: Pick<CacheEntry, "streamId" | "shardletId" | "epoch" | "lo" | "hi" | "from" | "to"> & {
      events: readonly StoredEvent[];
      prediction?: Prediction | undefined;
      /** False when no read is served these events now (a read-ahead): see `CacheEntry.servedTo`. */
      served?: boolean | undefined;
    },
  ): boolean {
    if (f.to <= f.from) return false;
    const key = entryKey(f.streamId, f.shardletId);
    const now = this.now();
    const old = this.store.peek(key);
    const fresh = eventsWithin(f.events, f);
    let entry: CacheEntry;
    if (old && old.lo === f.lo && old.hi === f.hi && f.from <= old.to && f.from >= old.from && f.to > old.to) {
      // Extended in place: a copy per extension cost a tail reader the whole entry at every poll,
      // in arrays large enough to go straight to the old generation. So a prefetch the policy
      // would refuse is refused before anything changes, and the entry stays as it was.
      const add = fresh.filter((e) => e.seq > old.to);
      const addBytes = sumBytes(add);
      // The size after trimming is at most this; a prefetch admitted at a size is admitted at any smaller one.
      if (f.prediction && !this.store.admits(key, Math.min(old.bytes + addBytes, this.maxEntryBytes), now, f.prediction)) return false;
      for (const e of add) {
        if (f.prediction) keepJson(e);
        old.events.push(e);
        old.hashes.push(keyHash(e.key));
      }
      old.epoch = f.epoch;
      old.to = f.to;
      if (f.served !== false && !f.prediction) old.servedTo = f.to;
      old.bytes += addBytes;
      entry = old;
    } else if (old && old.lo === f.lo && old.hi === f.hi && old.from <= f.from && old.to >= f.to) {
      // Already known; an announced read still protects it.
      if (f.prediction) this.store.predict(key, f.prediction, now);
      return true;
    } else {
      // A prefetch serializes its events before their read; a read's fill leaves that to a hit
      // serving them again (`lookup`), so a reader reading each event once pays nothing for it.
      if (f.prediction) for (const e of fresh) keepJson(e);
      entry = { streamId: f.streamId, shardletId: f.shardletId, epoch: f.epoch, lo: f.lo, hi: f.hi, from: f.from, to: f.to, events: fresh, hashes: fresh.map((e) => keyHash(e.key)), bytes: ENTRY_OVERHEAD_BYTES + sumBytes(fresh), servedTo: f.served !== false && !f.prediction ? f.to : f.from };
    }
    trimFront(entry, this.maxEntryBytes);
    if (!this.store.fill(key, entry, Math.max(1, entry.bytes), now, f.prediction)) {
      // Only a new entry can be refused here (an extension was admitted above); were one refused
      // anyway, an entry already changed must not stay counted at its old size.
      if (entry === old) this.store.delete(key, now);
      return false;
    }
    let keys = this.byStream.get(f.streamId);
    if (!keys) this.byStream.set(f.streamId, (keys = new Set()));
    keys.add(key);
    return true;
  }

  /** Whether a prefetch of about `bytes` for the shardlet would be admitted (checked before fetching it). */
  admits(streamId: string, shardletId: string, bytes: number, prediction: Prediction): boolean {
    return this.store.admits(entryKey(streamId, shardletId), bytes, this.now(), prediction);
  }

  /** A read of the shardlet is announced: its entry, if any, is worth the prediction while it holds. */
  predict(streamId: string, shardletId: string, prediction: Prediction): void {
    this.store.predict(entryKey(streamId, shardletId), prediction, this.now());
  }

  /** How far a shardlet's own entry reaches (null: none), for the prefetcher to continue from. */
  reach(streamId: string, shardletId: string): { from: number; to: number } | null {
    const e = this.store.peek(entryKey(streamId, shardletId));
    return e ? { from: e.from, to: e.to } : null;
  }

  /** Drops a stream's entries (the stream was deleted or recreated). */
  dropStream(streamId: string): void {
    for (const key of [...(this.byStream.get(streamId) ?? [])]) this.store.delete(key);
    this.byStream.delete(streamId);
    this.gone.forget(`${streamId}\t`);
  }

  /** Whether a part read that found no entry starts inside what the shardlet's evicted entry held. */
  evictedCovers(streamId: string, shardletId: string, cursor: Cursor): boolean {
    return this.gone.covers(entryKey(streamId, shardletId), cursor);
  }

  /** Keeps only the streams named (the others are gone from the routes). */
  retainStreams(streamIds: ReadonlySet<string>): void {
    for (const id of [...this.byStream.keys()]) if (!streamIds.has(id)) this.dropStream(id);
  }
}
