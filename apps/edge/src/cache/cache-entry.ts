import { keyHash, type Cursor, type StoredEvent } from "@shardcast/core";
import { storedBytes } from "../stored-bytes.ts";

/** One shard cache entry: a key-hash range's events over a position interval (see shard-cache.ts). */
export interface CacheEntry {
  streamId: string;
  /** The shardlet the entry was filled for, and its epoch then. */
  shardletId: string;
  epoch: number;
  lo: number;
  hi: number;
  /** Every event of [lo, hi) with from < seq <= to is in `events`. */
  from: number;
  to: number;
  /** Sorted by seq; `hashes[i]` is the key hash of `events[i]`. */
  events: StoredEvent[];
  hashes: number[];
  bytes: number;
  /**
   * Events at or below this position were served by a read at least once (the read that filled
   * them, or a hit since); those above it were filled for a read yet to come (a group member's
   * read-ahead). An event gets its kept JSON text when it is served again (see event-json.ts).
   */
  servedTo: number;
}

/** After a read served its page: every event of the entry up to `next` has been served. */
export function markServed(entry: CacheEntry, next: number): void {
  if (next > entry.servedTo) entry.servedTo = Math.min(next, entry.to);
}

/** What a cache lookup can serve of one consumer part. */
export interface CachedPart {
  entry: CacheEntry;
  /** The part's events in (segment.after, entry.to], in seq order. */
  events: StoredEvent[];
  /** Position of the part's first event the entry holds past those returned (Infinity: none). */
  leftOut: number;
  /** The entry's end when it was looked up (later fills extend an entry in place). */
  to: number;
}

/** What an event costs the budget beyond its stored bytes: the object and its place in the entry. */
export const ENTRY_OVERHEAD_BYTES = 64;

/** An event's share of the budget: its stored bytes (the unit telemetry counts) plus object overhead. */
export function eventBytes(e: StoredEvent): number {
  return ENTRY_OVERHEAD_BYTES + storedBytes(e);
}

export function sumBytes(events: readonly StoredEvent[]): number {
  let n = 0;
  for (const e of events) n += eventBytes(e);
  return n;
}

/** Index of the first event with seq > after (events sorted by seq). */
export function firstAfter(events: readonly StoredEvent[], after: number): number {
  let lo = 0;
  let hi = events.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (events[mid]!.seq <= after) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Drops the oldest events until the entry fits, raising `from` past them so it stays complete. */
export function trimFront(entry: CacheEntry, maxBytes: number): void {
  if (entry.bytes <= maxBytes) return;
  let drop = 0;
  let bytes = entry.bytes;
  while (drop < entry.events.length && bytes > maxBytes) bytes -= eventBytes(entry.events[drop++]!);
  // Never cut inside one position: the rest of it would look complete.
  while (drop < entry.events.length && drop > 0 && entry.events[drop]!.seq === entry.events[drop - 1]!.seq) bytes -= eventBytes(entry.events[drop++]!);
  if (drop === 0) return;
  entry.from = entry.events[drop - 1]!.seq;
  // In place, as entries are extended (see ShardCache.fill): no second array of the entry's size.
  entry.events.splice(0, drop);
  entry.hashes.splice(0, drop);
  entry.bytes = bytes;
}

/** The segment of a reader's cursor that holds key hash `h`. */
export function segmentOf(cursor: Cursor, h: number): Cursor[number] | undefined {
  for (const s of cursor) if (h >= s.lo && h < s.hi) return s;
  return undefined;
}

/** The events of `[lo, hi)` with from < seq <= to, in seq order: what an entry of that interval holds. */
export function eventsWithin(events: readonly StoredEvent[], r: { lo: number; hi: number; from: number; to: number }): StoredEvent[] {
  return events
    .filter((e) => {
      if (e.seq <= r.from || e.seq > r.to) return false;
      const h = keyHash(e.key);
      return h >= r.lo && h < r.hi;
    })
    .sort((a, b) => a.seq - b.seq);
}
