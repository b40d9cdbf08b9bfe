import type { ControlDb } from "./client.ts";
import { isLockConflict } from "./errors.ts";
import { sql, sqlQuery, sqlRows } from "./sql.ts";

/**
 * Which shardlets' ranges may hold undrained rows in their shard's overflow log. The events
 * table's unique index makes a re-sent event id a duplicate on the fast path, but it does not see
 * the log: after a lock is let go and before the drain (milliseconds normally, until the next
 * drain run when a worker died), a re-send of an event acknowledged through the log would be
 * stored a second time at a new position. Routes carry the flag; the write path looks ids up in
 * the log while it is set.
 *
 * Set by an edge that appends events with ids to the log, before the append (an edge that died
 * between the two would leave it unset) and again after it, before the acknowledgement; cleared
 * by a drain that found the range's log empty, and set again by the drain when its read after the
 * clear finds rows (an append raced the clear) or it stops before that read.
 */

/** How long a flag write keeps trying while another transaction holds one of its rows. */
const FLAG_BUSY_MS = 2_000;

// Rows locked in id order: two edges flagging overlapping ranges, or a drain clearing them, never
// wait on each other in a cycle. Plain SQL (see sql.ts): edges run it twice for every batch that
// meets a locked shardlet, and Prisma's raw query compiles each call on the edge's event loop.
const MARK_SQL = `
  WITH t AS (
    SELECT s.id FROM shardlets s
    WHERE s.stream_id = $1 AND s.state <> 'retired' AND NOT s.overflow_pending
      AND EXISTS (SELECT 1 FROM unnest($2::bigint[], $3::bigint[]) AS r(lo, hi) WHERE s.lo < r.hi AND s.hi > r.lo)
    ORDER BY s.id FOR UPDATE OF s NOWAIT
  )
  UPDATE shardlets SET overflow_pending = true FROM t WHERE shardlets.id = t.id AND NOT shardlets.overflow_pending
  RETURNING shardlets.id`;

/**
 * Flags every live or pending shardlet of the stream whose range overlaps one of `ranges` (a
 * writer with a stale route still flags the shardlets now holding the range). The ids whose flag
 * was newly set: edges learn of them only when told to reload the stream's routes.
 *
 * Edges call this for every batch that meets a locked shardlet, while the worker's jobs update the
 * same rows (switches, accounting), not all of them in id order. So the rows are taken NOWAIT: a
 * row held elsewhere ends the statement at once, and it is tried again after a short pause,
 * instead of waiting in a lock queue where PostgreSQL would abort one side of a cycle, the
 * producer's batch (a 503) or the worker's step. Past `FLAG_BUSY_MS` the conflict is thrown.
 */
export async function markOverflowPending(db: ControlDb, streamId: string, ranges: ReadonlyArray<{ lo: number; hi: number }>): Promise<string[]> {
  if (ranges.length === 0) return [];
  const los = ranges.map((r) => r.lo);
  const his = ranges.map((r) => r.hi);
  const started = Date.now();
  for (let attempt = 0; ; attempt++) {
    try {
      const rows = await sqlRows<{ id: string }>(db, MARK_SQL, [streamId, los, his]);
      return rows.map((r) => r.id);
    } catch (err) {
      if (!isLockConflict(err) || Date.now() - started > FLAG_BUSY_MS) throw err;
      // Jittered, growing pauses: the holders are single statements, done in milliseconds.
      const pause = Math.min(50, 2 ** Math.min(attempt, 5)) * (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/** Clears the flag of `ids`; the ids whose flag was set (and is now cleared). */
export async function clearOverflowPending(db: ControlDb, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await sqlQuery<{ id: string }>(
    db,
    sql`
    WITH t AS (SELECT id FROM shardlets WHERE id = ANY(${[...ids]}::text[]) AND overflow_pending ORDER BY id FOR UPDATE)
    UPDATE shardlets SET overflow_pending = false FROM t WHERE shardlets.id = t.id AND shardlets.overflow_pending
    RETURNING shardlets.id`,
  );
  return rows.map((r) => r.id);
}
