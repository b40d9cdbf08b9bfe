import { z } from "zod";
import { HASH_SPACE } from "../types.ts";

/**
 * A consumer's progress on a shardlet: segments that together cover its key-hash range, each with
 * the position up to which every event of that part of the range was processed. One segment is
 * the usual case; a merge puts its parents' cursors side by side, so neither parent's range is
 * read again below its own committed position (docs/consumers.md).
 */
export interface CursorSegment {
  /** Inclusive. */
  lo: number;
  /** Exclusive. */
  hi: number;
  /** Every event of [lo, hi) with seq <= after was processed. */
  after: number;
}

export type Cursor = CursorSegment[];

const hash = z.number().int().min(0).max(HASH_SPACE);
export const cursorSchema = z
  .array(z.object({ lo: hash, hi: hash, after: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) }))
  .min(1)
  .max(4096)
  .refine((c) => c.every((s, i) => s.lo < s.hi && (i === 0 || c[i - 1]!.hi === s.lo)), "cursor segments must be non-empty, sorted and contiguous");

export function freshCursor(lo: number, hi: number, after: number): Cursor {
  return [{ lo, hi, after }];
}

/** The lowest position of the cursor: reading after it misses nothing. */
export function cursorPosition(c: Cursor): number {
  let min = Number.POSITIVE_INFINITY;
  for (const s of c) if (s.after < min) min = s.after;
  return Number.isFinite(min) ? min : 0;
}

/** Sorted, empty segments dropped, neighbours with one position joined. */
export function normalizeCursor(c: Cursor): Cursor {
  const sorted = c.filter((s) => s.hi > s.lo).sort((a, b) => a.lo - b.lo);
  const out: Cursor = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && last.hi === s.lo && last.after === s.after) last.hi = s.hi;
    else out.push({ ...s });
  }
  return out;
}

/** A commit of `position`: every segment is processed at least that far. */
export function commitCursor(c: Cursor, position: number): Cursor {
  return normalizeCursor(c.map((s) => ({ ...s, after: Math.max(s.after, position) })));
}

/** The part of a cursor inside [lo, hi). */
export function clipCursor(c: Cursor, lo: number, hi: number): Cursor {
  const out: Cursor = [];
  for (const s of c) {
    const a = Math.max(s.lo, lo);
    const b = Math.min(s.hi, hi);
    if (a < b) out.push({ lo: a, hi: b, after: s.after });
  }
  return normalizeCursor(out);
}

/** Two cursors of adjacent (or any disjoint) ranges side by side: a merge's cursor. */
export function joinCursors(a: Cursor, b: Cursor): Cursor {
  return normalizeCursor([...a, ...b]);
}

/** Whether the cursor covers [lo, hi) without a gap. */
export function cursorCovers(c: Cursor, lo: number, hi: number): boolean {
  const n = normalizeCursor(c);
  let at = lo;
  for (const s of n) {
    if (s.hi <= at) continue;
    if (s.lo > at) return false;
    at = s.hi;
    if (at >= hi) return true;
  }
  return at >= hi;
}

/** The position of the segment holding `hash` (undefined when no segment does). */
export function cursorAfterFor(c: Cursor, h: number): number | undefined {
  for (const s of c) if (h >= s.lo && h < s.hi) return s.after;
  return undefined;
}

/**
 * Pointwise maximum of two cursors (of a Redis cursor and a durable one): both only claim processed
 * events, so the higher claim is as true as the lower. A part only one of them covers keeps its
 * position there.
 */
export function maxCursor(a: Cursor, b: Cursor): Cursor {
  const cuts = new Set<number>();
  for (const s of [...a, ...b]) {
    cuts.add(s.lo);
    cuts.add(s.hi);
  }
  const points = [...cuts].sort((x, y) => x - y);
  const out: Cursor = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const lo = points[i]!;
    const hi = points[i + 1]!;
    const pa = cursorAfterFor(a, lo);
    const pb = cursorAfterFor(b, lo);
    if (pa === undefined && pb === undefined) continue;
    out.push({ lo, hi, after: Math.max(pa ?? 0, pb ?? 0) });
  }
  return normalizeCursor(out);
}

/** The later of two claims on one shardlet's progress (a Redis cursor and a durable one), either may be missing. */
export function laterCursor(a: Cursor, b: Cursor | undefined): Cursor;
export function laterCursor(a: Cursor | undefined, b: Cursor | undefined): Cursor | undefined;
export function laterCursor(a: Cursor | undefined, b: Cursor | undefined): Cursor | undefined {
  return a && b ? maxCursor(a, b) : (a ?? b);
}

/**
 * Whether `next` claims more than `stored` anywhere: a cursor ahead of a durable checkpoint is
 * worth writing, one that is nowhere ahead (a Redis that came back older) is not progress.
 */
export function cursorAhead(next: Cursor, stored: Cursor): boolean {
  const later = maxCursor(next, stored);
  const base = normalizeCursor(stored);
  return later.length !== base.length || later.some((s, i) => s.lo !== base[i]!.lo || s.hi !== base[i]!.hi || s.after !== base[i]!.after);
}

/** Fills the parts of [lo, hi) the cursor does not cover with `after`. */
function fillGaps(c: Cursor, lo: number, hi: number, after: number): Cursor {
  const out: Cursor = [];
  let at = lo;
  for (const s of normalizeCursor(c)) {
    if (s.lo > at) out.push({ lo: at, hi: s.lo, after });
    out.push(s);
    at = Math.max(at, s.hi);
  }
  if (at < hi) out.push({ lo: at, hi, after });
  return normalizeCursor(out);
}

export interface LineageShardlet {
  lo: number;
  hi: number;
  parentId: string | null;
  mergedFromId: string | null;
}

const MAX_DEPTH = 64;

/**
 * The cursor a shardlet continues from: its own when known, else its ancestors' (a split child
 * takes its parent's, clipped to its range; a merged shardlet both parents', side by side), else
 * the group's start. Whatever the lineage leaves uncovered starts at `start`, so there is never a
 * gap (a gap would skip events).
 */
export function deriveCursor(
  id: string,
  ctx: { shardlets: ReadonlyMap<string, LineageShardlet>; cursors: ReadonlyMap<string, Cursor>; start: number },
): Cursor {
  // Lineage is a DAG (a stream that splits by day and merges by night reaches the same ancestor
  // along many paths): without the memo a new group's first derivation would be exponential.
  const memo = new Map<string, Cursor>();
  const onPath = new Set<string>();
  const walk = (sid: string, depth: number): Cursor => {
    const known = memo.get(sid);
    if (known) return known;
    const s = ctx.shardlets.get(sid);
    const own = ctx.cursors.get(sid);
    let out: Cursor;
    if (!s) out = own ? normalizeCursor(own) : [];
    else if (own) out = fillGaps(clipCursor(own, s.lo, s.hi), s.lo, s.hi, ctx.start);
    // Broken (cyclic) or absurdly deep lineage falls back to the start: a re-read, never a skip.
    else if (depth >= MAX_DEPTH || onPath.has(sid)) return freshCursor(s.lo, s.hi, ctx.start);
    else {
      onPath.add(sid);
      const parts: Cursor = [];
      for (const p of [s.parentId, s.mergedFromId]) if (p) parts.push(...walk(p, depth + 1));
      onPath.delete(sid);
      out = fillGaps(clipCursor(parts, s.lo, s.hi), s.lo, s.hi, ctx.start);
    }
    memo.set(sid, out);
    return out;
  };
  return walk(id, 0).map((seg) => ({ ...seg }));
}
