import type { ControlDb } from "./client.ts";

/**
 * Which shardlets' ranges may hold undrained rows in their shard's overflow log. The events
 * table's unique index makes a re-sent event id a duplicate on the fast path, but it does not see
 * the log: after a lock is let go and before the drain (milliseconds normally, until the next
 * drain run when a worker died), a re-send of an event acknowledged through the log would be
 * stored a second time at a new position. Routes carry the flag; the write path looks ids up in
 * the log while it is set.
 *
 * Set by an edge that appends to the log, before the append (unless its routes show the flag
 * already: an edge that died between the two would leave it unset) and again after it, before the
 * acknowledgement; cleared by a drain that found the range's log empty (and reads again after
 * clearing, so an append racing the clear is either drained or flags the range again after it).
 */

/**
 * Flags every live or pending shardlet of the stream whose range overlaps one of `ranges` (a
 * writer with a stale route still flags the shardlets now holding the range). The ids whose flag
 * was newly set: edges learn of them only when told to reload the stream's routes.
 */
export async function markOverflowPending(db: ControlDb, streamId: string, ranges: ReadonlyArray<{ lo: number; hi: number }>): Promise<string[]> {
  if (ranges.length === 0) return [];
  const los = ranges.map((r) => r.lo);
  const his = ranges.map((r) => r.hi);
  const rows = await db.$queryRaw<Array<{ id: string }>>`
    UPDATE shardlets s SET overflow_pending = true
    FROM unnest(${los}::bigint[], ${his}::bigint[]) AS r(lo, hi)
    WHERE s.stream_id = ${streamId} AND s.state <> 'retired' AND s.lo < r.hi AND s.hi > r.lo AND NOT s.overflow_pending
    RETURNING s.id`;
  return rows.map((r) => r.id);
}

/** Clears the flag of `ids`; the ids whose flag was set (and is now cleared). */
export async function clearOverflowPending(db: ControlDb, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db.$queryRaw<Array<{ id: string }>>`
    UPDATE shardlets SET overflow_pending = false WHERE id = ANY(${[...ids]}::text[]) AND overflow_pending RETURNING id`;
  return rows.map((r) => r.id);
}
