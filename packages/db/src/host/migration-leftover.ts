import { ShardcastError } from "@shardcast/core";
import { hostError, type HostDriver } from "./driver.ts";
import { deleteEventsCte } from "./event-ids.ts";
import type { HostLayout } from "./layout.ts";
import type { MigrationRange } from "./migration.ts";
import { query } from "./range-query.ts";

/**
 * Removal of the partial copy a given-up migration left on its destination: its fence while still
 * its own, then the range's rows that no fence on the host covers. Other migrations of the host
 * keep fencing meanwhile (switches, epoch raises), so no fence lock is held across a scan.
 */

const MAX_HASH = "9223372036854775807";

/**
 * The fence (and totals) a migration given up without reaching this host left of a shardlet,
 * removed if the fence is still that migration's: at or below `epoch`, the highest it set. A later
 * migration of the shardlet to this host fences above it, and that fence stays. Returns whether it
 * was removed; the rows go with `deleteUnfencedRows`.
 */
export async function dropLeftoverFence(driver: HostDriver, q: { shardletId: string; epoch: number }): Promise<boolean> {
  const res = await query<{ n: number }>(driver, "leftover fence drop", {
    text: `WITH f AS (DELETE FROM sc_fence WHERE shardlet_id = $1 AND epoch <= $2 RETURNING 1),
           d AS (DELETE FROM sc_stat_delta WHERE shardlet_id = $1 AND EXISTS (SELECT 1 FROM f)),
           t AS (DELETE FROM sc_stat_total WHERE shardlet_id = $1 AND EXISTS (SELECT 1 FROM f))
           SELECT count(*)::int AS n FROM f`,
    values: [q.shardletId, q.epoch],
  });
  return (res.rows[0]?.n ?? 0) > 0;
}

/*
 * The parts of [$2, $3) no fence of stream $1 covers, from the fences' bounds alone (the fence
 * table is small): the gap before each fence, in order of its lower bound, from the highest upper
 * bound before it; and the gap after all of them. Rows are then read by key hash within the gaps
 * only (the stream's key-hash index), never those of a covered part.
 */
const GAPS_SQL = `f AS (
    SELECT greatest(coalesce(lo, 0), $2::bigint) AS lo, least(coalesce(hi, ${MAX_HASH}), $3::bigint) AS hi
    FROM sc_fence WHERE stream_id = $1 AND coalesce(lo, 0) < $3::bigint AND coalesce(hi, ${MAX_HASH}) > $2::bigint
  ), gaps AS (
    SELECT greatest($2::bigint, max(hi) OVER (ORDER BY lo, hi ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)) AS lo, lo AS hi FROM f
    UNION ALL
    SELECT greatest($2::bigint, max(hi)), $3::bigint FROM f
  )`;

/** The delete (see `deleteEventsCte`: on a partitioned host the deleted rows' ids go with them). */
const deleteSql = (layout: HostLayout) => `WITH ${GAPS_SQL}, ${deleteEventsCte(
  layout,
  `SELECT e.t, e.c FROM gaps g
      CROSS JOIN LATERAL (
        SELECT tableoid AS t, ctid AS c FROM sc_events WHERE stream_id = $1 AND key_hash >= g.lo AND key_hash < g.hi LIMIT $4
      ) e
      WHERE g.lo < g.hi
      LIMIT $4`,
  "key_hash",
)}
  SELECT count(*)::int AS n, coalesce(array_agg(DISTINCT key_hash), '{}')::text[] AS hashes FROM d`;

const COVERED_SQL = `SELECT EXISTS (
    SELECT 1 FROM sc_fence f, unnest($2::bigint[]) AS h
    WHERE f.stream_id = $1 AND h >= coalesce(f.lo, 0) AND h < coalesce(f.hi, ${MAX_HASH})
  ) AS covered`;

/** Tries of one chunk while fences keep appearing over it (each sees the fences of the try before). */
const TRIES = 5;

/**
 * Deletes up to `limit` rows of a range that no fence of the stream on this host covers: rows no
 * shardlet here owns, is taking in by a migration, or is giving away (what a given-up migration's
 * copy left, once its fence is dropped). Returns how many.
 *
 * The delete reads the fences and the rows in one snapshot, without locking the fence table.
 * A fence committed after that snapshot is not seen, but a copy or shadow write stores rows only
 * behind a fence committed before them, so none of its new rows is in the snapshot either. What
 * remains is a row that was already there (an older copy of the same event): such a write skips
 * it (same seq or event id) instead of storing it, so deleting it would leave the new copy without
 * it. A write that meets the row after the delete reached it waits for this transaction and then
 * stores its own; one that met it before needs its fence committed before the delete ended. So the
 * fences are read again once the delete is done, before the commit, and a chunk that a fence now
 * covers any part of is rolled back and tried again.
 */
export async function deleteUnfencedRows(driver: HostDriver, q: MigrationRange & { limit: number }): Promise<number> {
  const what = "unfenced rows delete";
  const layout = await driver.layout();
  for (let attempt = 1; attempt <= TRIES; attempt++) {
    const n = await driver
      .withClient(async (c) => {
        await c.query("BEGIN");
        try {
          const d = await c.query<{ n: number; hashes: string[] }>(deleteSql(layout), [q.streamId, q.lo, q.hi, q.limit]);
          const row = d.rows[0] ?? { n: 0, hashes: [] };
          const again = row.n > 0 ? await c.query<{ covered: boolean }>(COVERED_SQL, [q.streamId, row.hashes]) : null;
          if (again?.rows[0]?.covered) {
            await c.query("ROLLBACK");
            return null;
          }
          await c.query("COMMIT");
          return row.n;
        } catch (err) {
          await c.query("ROLLBACK").catch(() => undefined);
          throw err;
        }
      })
      .catch((err: unknown) => {
        throw hostError(err, what);
      });
    if (n !== null) return n;
  }
  throw new ShardcastError("conflict", `${what}: fences of stream ${q.streamId} kept changing over [${q.lo}, ${q.hi})`);
}
