import { keyHash, type StoredEvent } from "@shardcast/core";
import type { RangePart } from "../consumers/range-reader.ts";
import type { CachedPart } from "./cache-entry.ts";

/** Events a prefetch fills per turn of the event loop (about 1-2 ms of serialization). */
export const FILL_SLICE_EVENTS = 200;

/**
 * `events` (sorted by seq) in slices of about `size`, each cut between two positions so no position
 * is split across slices; one empty slice when there are none (the fill still records the interval).
 */
export function slicesAtPositions<T extends { seq: number }>(events: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  let start = 0;
  while (start < events.length) {
    let end = Math.min(events.length, start + Math.max(1, size));
    while (end < events.length && events[end]!.seq === events[end - 1]!.seq) end++;
    out.push(events.slice(start, end));
    start = end;
  }
  return out.length > 0 ? out : [[]];
}

/** The parts as the hosts read them: past what each part's entry holds. */
export function pastCached(parts: readonly RangePart[], cached: ReadonlyMap<string, CachedPart>): RangePart[] {
  return parts.map((p) => {
    const c = cached.get(p.shardletId);
    return c ? { ...p, cursor: p.cursor.map((s) => ({ ...s, after: Math.max(s.after, c.to) })) } : p;
  });
}

export function partOf(sorted: readonly RangePart[], e: StoredEvent): RangePart | undefined {
  const h = keyHash(e.key);
  return sorted.find((p) => h >= p.lo && h < p.hi);
}
