import { eventSizeBytes } from "./event-size.ts";
import type { StoredEvent } from "./types.ts";

/**
 * Bytes of events per read page (position reads, key reads, consumer polls and shardlet reads),
 * counted as the write path counts an event (payload JSON, key, type and id). Pages of up to a
 * thousand of the largest events were tens of MiB held at once by the edge and the reader; this
 * keeps a page near a request body's size (`SHARDCAST_MAX_BODY_BYTES`' default). A page still
 * holds at least one position, however large.
 */
export const MAX_PAGE_BYTES = 8 * 1024 * 1024;

/**
 * How a page measures its events: `eventSizeBytes`, or a caller's memo of it where the same event
 * objects are measured again and again (cached events).
 */
export type EventSize = (e: StoredEvent) => number;

/** What makes two rows the same event: everything but where it is stored. */
export function eventIdentity(e: StoredEvent): string {
  return JSON.stringify([e.key, e.id, e.type, e.ts, e.payload]);
}

export function compareText(a: string, b: string): number {
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
      const keyed = sorted.slice(i, j).map((e) => ({ e, id: eventIdentity(e) }));
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
 * The first `limit` events and at most `maxBytes` of them, never ending inside a position: a
 * reader continues after the last position it got, so the rest of that position would be
 * skipped. Longer than either bound only when the first position alone passes it.
 */
export function pageOf(events: StoredEvent[], limit: number, maxBytes = MAX_PAGE_BYTES, size: EventSize = eventSizeBytes): StoredEvent[] {
  const end = pageEnd(events, limit, events.length, maxBytes, size);
  return end === events.length ? events : events.slice(0, end);
}

/** How many of the first `length` events `pageOf` keeps of them (for a caller that cuts an array it owns in place). */
export function pageEnd(events: readonly StoredEvent[], limit: number, length = events.length, maxBytes = MAX_PAGE_BYTES, size: EventSize = eventSizeBytes): number {
  return cutEnd(events, limit, length, maxBytes, size, (a, b) => a.seq === b.seq);
}

/**
 * `pageOf` for a key's events, in (time, position) order: a reader continues after the last
 * (time, position) it got, so a page never ends between two events sharing both.
 */
export function keyPageEnd(events: readonly StoredEvent[], limit: number, maxBytes = MAX_PAGE_BYTES, size: EventSize = eventSizeBytes): number {
  return cutEnd(events, limit, events.length, maxBytes, size, (a, b) => a.seq === b.seq && a.ts === b.ts);
}

/**
 * One page of what several hosts answered in position order, each complete up to its
 * `completeTo`: only events up to the lowest of those (and `watermark`) are certain, so the page
 * holds no event past it. `next`, where the reader goes on, is the page's last position when the
 * page was cut, else that bound.
 */
export function mergedPage(
  answers: ReadonlyArray<{ events: readonly StoredEvent[]; completeTo: number }>,
  watermark: number,
  limit: number,
  opts: { maxBytes?: number | undefined; size?: EventSize | undefined; onConflict?: ((seq: number, events: StoredEvent[]) => void) | undefined } = {},
): { events: StoredEvent[]; next: number } {
  let bound = watermark;
  for (const a of answers) bound = Math.min(bound, a.completeTo);
  const merged = mergeBySeq(
    answers.flatMap((a) => a.events.filter((e) => e.seq <= bound)),
    opts.onConflict,
  );
  const events = pageOf(merged, limit, opts.maxBytes, opts.size);
  return { events, next: events.length < merged.length ? events[events.length - 1]!.seq : bound };
}

function cutEnd(events: readonly StoredEvent[], limit: number, length: number, maxBytes: number, size: EventSize, same: (a: StoredEvent, b: StoredEvent) => boolean): number {
  let end = Math.min(length, limit);
  let bytes = 0;
  for (let i = 0; i < end; i++) {
    bytes += size(events[i]!);
    if (bytes > maxBytes) end = i;
  }
  if (end === length) return length;
  while (end > 0 && same(events[end]!, events[end - 1]!)) end--;
  if (end > 0) return end;
  end = 1;
  while (end < length && same(events[end]!, events[0]!)) end++;
  return end;
}
