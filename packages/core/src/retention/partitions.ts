/**
 * Pure decisions of time-partitioned event storage. A host's events live in partitions of
 * `sc_events` by `part`, the second (epoch) each row was first stored; a partition holds every
 * stream of the host for a half-open range of seconds [lo, hi). The legacy partition (rows from
 * before partitioning, all with part 0) is the range [-inf, 1).
 */

/** A partition's range of stored seconds: lo inclusive, hi exclusive. */
export interface PartRange {
  lo: number;
  hi: number;
}

/** The first second the time partitions cover: below it lies the legacy partition. */
export const FIRST_TIME_PART = 1;

/**
 * The range a new partition holding second `at` gets: the span-aligned range around it, clipped
 * to the gap between existing partitions (spans may have changed since they were made), or null
 * when an existing one holds `at` already.
 */
export function partitionFor(at: number, spanSec: number, existing: readonly PartRange[]): PartRange | null {
  if (!Number.isFinite(at) || spanSec < 1) throw new Error(`partitionFor: bad second ${at} or span ${spanSec}`);
  const sec = Math.floor(at);
  if (sec < FIRST_TIME_PART) return null;
  const base = Math.floor(sec / spanSec) * spanSec;
  let lo = Math.max(FIRST_TIME_PART, base);
  let hi = base + spanSec;
  for (const r of existing) {
    if (r.lo <= sec && sec < r.hi) return null;
    if (r.hi <= sec) lo = Math.max(lo, r.hi);
    if (r.lo > sec) hi = Math.min(hi, r.lo);
  }
  return { lo, hi };
}

/**
 * The partitions to create so the current span and `ahead` more exist, in order: writers then
 * find their partition made before they need it.
 */
export function partitionsAhead(nowSec: number, spanSec: number, ahead: number, existing: readonly PartRange[]): PartRange[] {
  const out: PartRange[] = [];
  const all = [...existing];
  for (let i = 0; i <= ahead; i++) {
    const next = partitionFor(nowSec + i * spanSec, spanSec, all);
    if (next) {
      out.push(next);
      all.push(next);
    }
  }
  return out;
}

/** A stream's retention as the retention job applies it. */
export interface StreamRetention {
  streamId: string;
  /** Hours of events kept (fractions allowed). */
  retentionHours: number;
  /** Bytes kept at most, oldest forgotten first (null: no cap). */
  retentionBytes: number | null;
}

/** The stored second before which a stream's events have expired by age alone. */
export function ageCutoffSec(nowSec: number, retentionHours: number): number {
  return Math.floor(nowSec - retentionHours * 3_600);
}

/**
 * The cutoff a size cap asks for: the newest partitions' bytes of the stream are kept while their
 * sum stays within `capBytes`, and everything stored before the oldest one kept is forgotten. The
 * newest partition is always kept whole (it takes the writes of the present), even when it alone
 * passes the cap. `parts` are the stream's bytes per range of stored seconds (from any host; ranges
 * of several hosts may overlap and are summed by their upper bound). Null when everything fits.
 */
export function sizeCutoffSec(parts: ReadonlyArray<PartRange & { bytes: number }>, capBytes: number): number | null {
  const byHi = new Map<number, { lo: number; bytes: number }>();
  for (const p of parts) {
    const cur = byHi.get(p.hi);
    byHi.set(p.hi, { lo: Math.min(cur?.lo ?? p.lo, p.lo), bytes: (cur?.bytes ?? 0) + p.bytes });
  }
  const newestFirst = [...byHi].sort((a, b) => b[0] - a[0]);
  let kept = 0;
  for (const [i, [hi, { lo, bytes }]] of newestFirst.entries()) {
    if (kept + bytes > capBytes) return i === 0 ? (newestFirst.length > 1 ? lo : null) : hi;
    kept += bytes;
  }
  return null;
}

/** The stored second before which a stream's events are forgotten: age, or a size cap that asks for more. */
export function streamCutoffSec(nowSec: number, r: Pick<StreamRetention, "retentionHours">, sizeCutoff: number | null): number {
  const age = ageCutoffSec(nowSec, r.retentionHours);
  return sizeCutoff === null ? age : Math.max(age, sizeCutoff);
}

/**
 * Whether a partition may be dropped, and which streams must first be checked for rows in it: it
 * holds every stream of its host, so it goes only when each stream with rows in it has forgotten
 * everything stored before its upper bound. `blocking` are the streams whose cutoff lies below
 * `hi` (rows of theirs in it may still be live); the partition is dropped if none has a row there.
 * A partition holding the present (`hi > nowSec`) is never dropped.
 */
export function dropCandidate(range: PartRange, nowSec: number, cutoffs: ReadonlyMap<string, number>): { candidate: boolean; blocking: string[] } {
  if (range.hi > nowSec) return { candidate: false, blocking: [] };
  const blocking: string[] = [];
  for (const [streamId, cutoff] of cutoffs) if (cutoff < range.hi) blocking.push(streamId);
  return { candidate: true, blocking };
}
