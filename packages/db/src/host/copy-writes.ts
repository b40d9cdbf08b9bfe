import type { HostDriver } from "./driver.ts";
import { deleteEventsCte, recordIdsCte, storedIdsSql, storeRowsWhere } from "./event-ids.ts";
import type { HostLayout } from "./layout.ts";
import { copyRowArrays, type CopyRow, type MigrationRange } from "./migration.ts";
import { query } from "./range-query.ts";

/**
 * Host-side writes and deletes of a migration's rows (see migration.ts for the reads and the
 * fence states). On a partitioned host a row's id is recorded in `sc_event_ids` in the statement
 * that stores it and removed in the one that deletes it, and a copied row keeps the second it was
 * first stored at, so a chunk copied again meets its earlier copy in the same partition.
 */

const COPY_FENCE = `f AS (
  SELECT shardlet_id FROM sc_fence WHERE shardlet_id = $2 AND epoch = $3 AND state = ANY($4::text[]) FOR SHARE
)`;
const COPY_COLUMNS = "stream_id, seq, shardlet_id, key, key_hash, event_id, type, ts, payload, size_bytes";
const COPY_VALUES = "t.seq, t.shardlet_id, t.key, t.key_hash, t.event_id, t.type, 'epoch'::timestamptz + t.ts_us * interval '1 microsecond', t.payload::jsonb, t.size_bytes";
const COPY_UNNEST = "$5::bigint[], $6::text[], $7::text[], $8::bigint[], $9::text[], $10::text[], $11::bigint[], $12::text[], $13::int[]";
const COPY_AS = "t(seq, shardlet_id, key, key_hash, event_id, type, ts_us, payload, size_bytes";
const COPY_RESULT = "SELECT EXISTS (SELECT 1 FROM f) AS fenced, (SELECT count(*) FROM ins)::int AS inserted";

const COPY_WRITE: Record<HostLayout, { name: string; text: string }> = {
  legacy: {
    name: "sc_migration_write_v1",
    text: `WITH ${COPY_FENCE}, ins AS (
             INSERT INTO sc_events (${COPY_COLUMNS})
             SELECT $1, ${COPY_VALUES}
             FROM unnest(${COPY_UNNEST}) AS ${COPY_AS})
             WHERE EXISTS (SELECT 1 FROM f)
             ON CONFLICT DO NOTHING
             RETURNING 1
           )
           ${COPY_RESULT}`,
  },
  partitioned: {
    name: "sc_migration_write_v2",
    text: `WITH ${COPY_FENCE}, t AS MATERIALIZED (
             SELECT * FROM unnest(${COPY_UNNEST}, $14::bigint[]) AS ${COPY_AS}, part)
             WHERE EXISTS (SELECT 1 FROM f)
           ), ${recordIdsCte("$1")}, ins AS (
             INSERT INTO sc_events (${COPY_COLUMNS}, part)
             SELECT $1, ${COPY_VALUES}, t.part FROM t WHERE ${storeRowsWhere("$1", true)}
             ON CONFLICT DO NOTHING
             RETURNING 1
           )
           ${COPY_RESULT}`,
  },
};

/**
 * Writes copied rows into the destination, only while its fence for `shardletId` is at `epoch`
 * in one of `states` (taken FOR SHARE, so a fence change waits for it and a copier that lost the
 * migration stores nothing afterwards). Rows already there (same seq or event id) are skipped:
 * a chunk can be copied again after any interruption. Rows keep the label of the shardlet that
 * accepted them.
 */
export async function writeCopiedRows(
  driver: HostDriver,
  w: { streamId: string; shardletId: string; epoch: number; states: readonly string[]; rows: readonly CopyRow[] },
): Promise<{ accepted: boolean; inserted: number }> {
  if (w.rows.length === 0) {
    const fence = await driver.getFence(w.shardletId);
    return { accepted: fence !== null && fence.epoch === w.epoch && w.states.includes(fence.state), inserted: 0 };
  }
  const rows = w.rows;
  const res = await driver.withLayout((layout) =>
    driver.placing(() =>
      query<{ fenced: boolean; inserted: number }>(driver, "copy write", {
        ...COPY_WRITE[layout],
        values: [w.streamId, w.shardletId, w.epoch, [...w.states], ...copyRowArrays(rows), ...(layout === "partitioned" ? [rows.map((r) => r.part)] : [])],
      }),
    ),
  );
  const row = res.rows[0];
  return { accepted: row?.fenced ?? false, inserted: row?.inserted ?? 0 };
}

/** Deletes the rows `selected` picks (stream $1) and, on a partitioned host, their ids; answers `n`. */
function deleteSql(layout: HostLayout, selected: string): string {
  return `WITH ${deleteEventsCte(layout, `SELECT tableoid AS t, ctid AS c FROM sc_events WHERE ${selected}`, "1 AS one")}
          SELECT count(*)::int AS n FROM d`;
}

/**
 * Deletes up to `limit` rows of a range, optionally only those with afterSeq < seq <= toSeq;
 * returns how many. Called until it returns 0, so each statement stays short.
 */
export async function deleteRangeRows(
  driver: HostDriver,
  q: MigrationRange & { afterSeq?: number; toSeq?: number | null; limit: number },
): Promise<number> {
  const selected = `stream_id = $1 AND key_hash >= $2 AND key_hash < $3 AND ($4::bigint IS NULL OR seq > $4) AND ($5::bigint IS NULL OR seq <= $5) LIMIT $6`;
  const res = await driver.withLayout((layout) =>
    query<{ n: number }>(driver, "range delete", { text: deleteSql(layout, selected), values: [q.streamId, q.lo, q.hi, q.afterSeq ?? null, q.toSeq ?? null, q.limit] }),
  );
  return res.rows[0]?.n ?? 0;
}

/** Deletes the range's rows at the given positions; returns how many. */
export async function deleteRangeRowsAt(driver: HostDriver, q: MigrationRange & { seqs: readonly number[] }): Promise<number> {
  if (q.seqs.length === 0) return 0;
  const selected = "stream_id = $1 AND seq = ANY($2::bigint[]) AND key_hash >= $3 AND key_hash < $4";
  const res = await driver.withLayout((layout) => query<{ n: number }>(driver, "range delete", { text: deleteSql(layout, selected), values: [q.streamId, [...q.seqs], q.lo, q.hi] }));
  return res.rows[0]?.n ?? 0;
}

/** A copied row the host skipped because it stores the row's event id at another position. */
export interface HeldEventId {
  seq: number;
  eventId: string;
  heldSeq: number;
  heldKeyHash: number;
}

/**
 * Of `rows`, those whose event id the host already stores at another position, with where and
 * under which key hash it does: the copy skips them, as the host stores an event id once per
 * stream (see event-ids.ts).
 */
export async function eventIdsHeldElsewhere(driver: HostDriver, q: { streamId: string; rows: readonly CopyRow[] }): Promise<HeldEventId[]> {
  const withId = q.rows.filter((r) => r.eventId !== null);
  if (withId.length === 0) return [];
  const res = await driver.withLayout((layout) =>
    query<{ seq: string; event_id: string; held_seq: string; held_key_hash: string }>(driver, "copy id check", {
      text: `WITH x AS (${storedIdsSql(layout).replaceAll("$2::text[]", "$3::text[]")})
             SELECT t.seq::text AS seq, x.event_id, x.seq::text AS held_seq, min(e.key_hash)::text AS held_key_hash
             FROM unnest($2::bigint[], $3::text[]) AS t(seq, event_id)
             JOIN x ON x.event_id = t.event_id AND x.seq <> t.seq
             JOIN sc_events e ON e.stream_id = $1 AND e.seq = x.seq
             GROUP BY t.seq, x.event_id, x.seq`,
      values: [q.streamId, withId.map((r) => r.seq), withId.map((r) => r.eventId)],
    }),
  );
  return res.rows.map((r) => ({ seq: Number(r.seq), eventId: r.event_id, heldSeq: Number(r.held_seq), heldKeyHash: Number(r.held_key_hash) }));
}
