import type pg from "pg";
import { recordIdsCte, storedIdsSql, storeRowsWhere } from "./event-ids.ts";
import { getFence } from "./fences.ts";
import type { HostLayout } from "./layout.ts";
import type { FencedWriteResult, HostBatchWrite, HostRun, ShardletTotals } from "./types.ts";

/** A statement in the form each host layout needs (see layout.ts); names differ so both can be prepared. */
export type LayoutStatement = Record<HostLayout, { name: string; text: string }>;

/** What a fenced insert does with a row whose key is stored already. */
export type OnStoredRow =
  /** Producers: a repeated id is skipped (idempotency); a repeated position is an error. */
  | "skip-ids"
  /** Shadow writes, which re-deliver what a copy may have stored: a repeated id or (position, stored second) is skipped. */
  | "skip-all"
  /**
   * Drains: as `skip-all`, and a row whose position the host holds in any partition is skipped
   * too (its id not recorded): an overflow row at a position taken by another event is a collision
   * the drain reports, and it must stay in the log, not be stored beside that event.
   */
  | "skip-positions";

const COLUMNS = "stream_id, seq, shardlet_id, key, key_hash, event_id, type, ts, payload, size_bytes";
/**
 * The batch's rows, column by column, zipped: the payloads come as one JSON array (`$11`), not as
 * a text array, whose literal would escape every quote of every payload on the edge's event loop
 * (node-postgres's array encoding was about a fifteenth of the edge's CPU at ingest).
 */
const UNNEST =
  "unnest($4::bigint[]), unnest($5::text[]), unnest($6::text[]), unnest($7::bigint[]), unnest($8::text[]), unnest($9::text[]), unnest($10::float8[]), jsonb_array_elements($11::jsonb), unnest($12::int[])";
const UNNEST_AS = "t(seq, shardlet_id, key, key_hash, event_id, type, ts_ms, payload, size_bytes";

/**
 * The head of every fenced batch statement (`batchWriteValues`' parameters): `f` holds the parts
 * whose fence is in `state` at the epoch sent, `ins` the events inserted into those parts only.
 * Partitioned hosts also get `t`, the rows let in with their stored second (`$13`, null for now:
 * a drain or shadow write passes the second its row was first stored at, so a re-delivered row
 * lands in the same partition and meets its earlier copy), and `ids` (see event-ids.ts).
 */
export const fencedInsertSql = (layout: HostLayout, state: "active" | "shadow", onStored: OnStoredRow, returning: string): string => {
  const fence = `f AS (
  SELECT shardlet_id FROM sc_fence
  WHERE (shardlet_id, epoch) IN (SELECT * FROM unnest($1::text[], $2::int[])) AND state = '${state}'
  FOR SHARE SKIP LOCKED
)`;
  if (layout === "legacy") {
    const onConflict = onStored === "skip-ids" ? "ON CONFLICT (stream_id, event_id) WHERE event_id IS NOT NULL DO NOTHING" : "ON CONFLICT DO NOTHING";
    return `
WITH ${fence}, ins AS (
  INSERT INTO sc_events (${COLUMNS})
  SELECT $3, t.seq, t.shardlet_id, t.key, t.key_hash, t.event_id, t.type, to_timestamp(t.ts_ms / 1000.0), t.payload, t.size_bytes
  FROM ROWS FROM (${UNNEST}) AS ${UNNEST_AS})
  WHERE t.shardlet_id IN (SELECT shardlet_id FROM f)
  ${onConflict}
  RETURNING ${returning}
)`;
  }
  const positions = onStored === "skip-positions" ? "\n    AND NOT EXISTS (SELECT 1 FROM sc_events e WHERE e.stream_id = $3 AND e.seq = t.seq)" : "";
  return `
WITH ${fence}, t AS MATERIALIZED (
  SELECT t.seq, t.shardlet_id, t.key, t.key_hash, t.event_id, t.type, t.ts_ms, t.payload, t.size_bytes,
         coalesce(t.part, floor(extract(epoch FROM now()))::bigint) AS part
  FROM ROWS FROM (${UNNEST}, unnest($13::bigint[])) AS ${UNNEST_AS}, part)
  WHERE t.shardlet_id IN (SELECT shardlet_id FROM f)${positions}
), ${recordIdsCte("$3")}, ins AS (
  INSERT INTO sc_events (${COLUMNS}, part)
  SELECT $3, t.seq, t.shardlet_id, t.key, t.key_hash, t.event_id, t.type, to_timestamp(t.ts_ms / 1000.0), t.payload, t.size_bytes, t.part
  FROM t WHERE ${storeRowsWhere("$3", onStored !== "skip-ids")}
  ${onStored === "skip-ids" ? "" : "ON CONFLICT DO NOTHING"}
  RETURNING ${returning}
)`;
};

/**
 * What a fenced statement answers: the parts their fence let in, the events inserted, and (on a
 * partitioned host) the second they were stored at, for the shadow write of a migrating shardlet.
 */
export const fencedResultSql = (layout: HostLayout): string =>
  `SELECT (SELECT coalesce(array_agg(shardlet_id), '{}') FROM f) AS fenced_ok, (SELECT count(*) FROM ins)::int AS inserted, ${
    layout === "partitioned" ? "(SELECT min(part) FROM t)::text" : "NULL::text"
  } AS part`;

/**
 * The hot path: one statement per host per batch, whatever the number of shardlets in it. Each
 * shardlet's fence row is share-locked at the epoch the writer routed with, so an epoch raise
 * (`setFence`, which takes the row lock) waits for writes in flight, and writes that arrive after
 * it store nothing for that shardlet. SKIP LOCKED: a fence row whose epoch is being raised right
 * now counts as fenced instead of making the whole statement (every other shardlet of the host in
 * this batch) wait for the change; the writer sends those events to the overflow log. Duplicate
 * event ids are skipped (by the id index, or `sc_event_ids` on a partitioned host); accounting goes
 * to the append-only delta table in the same statement.
 */
const fencedWriteSql = (layout: HostLayout, onStored: OnStoredRow) => `${fencedInsertSql(layout, "active", onStored, "shardlet_id, size_bytes")}, st AS (
  INSERT INTO sc_stat_delta (shardlet_id, events, bytes)
  SELECT shardlet_id, count(*), sum(size_bytes) FROM ins GROUP BY shardlet_id
)
${fencedResultSql(layout)}`;

/** Producers' writes: a repeated event id is skipped (idempotency); anything else is an error. */
export const FENCED_WRITE: LayoutStatement = {
  legacy: { name: "sc_fenced_write_v3", text: fencedWriteSql("legacy", "skip-ids") },
  partitioned: { name: "sc_fenced_write_v4", text: fencedWriteSql("partitioned", "skip-ids") },
};
/**
 * Drains re-deliver rows after a crash: skipping on any unique key (seq or id) makes them
 * idempotent. A skip does not mean the row is stored (its seq may hold a different event), so the
 * drain checks what the host holds before it settles a row (`checkDrainedRows`).
 */
export const DRAIN_WRITE: LayoutStatement = {
  legacy: { name: "sc_drain_write_v2", text: fencedWriteSql("legacy", "skip-all") },
  partitioned: { name: "sc_drain_write_v3", text: fencedWriteSql("partitioned", "skip-positions") },
};

/** Share locks of a writer and an epoch raise over several rows can deadlock; PostgreSQL aborts one side. */
const RETRYABLE_SQL_STATES = new Set(["40P01", "40001"]);

/**
 * The parameters of the fenced batch statements (fast path, drain and shadow writes): the fences
 * (shardlet ids and epochs), the stream, then one array per column, and on a partitioned host the
 * stored seconds (null: now). `withId` counts events that carry an idempotency id (none: no
 * duplicate lookup is needed).
 */
export function batchWriteValues(w: HostBatchWrite, layout: HostLayout = "partitioned"): { values: unknown[]; withId: number } {
  let n = 0;
  for (const part of w.parts) n += part.events.length;
  const seqs = new Array<number>(n);
  const shardletIds = new Array<string>(n);
  const keys = new Array<string>(n);
  const hashes = new Array<number>(n);
  const ids = new Array<string | null>(n);
  const types = new Array<string | null>(n);
  const tss = new Array<number>(n);
  const payloads = new Array<string>(n);
  const sizes = new Array<number>(n);
  const stored = new Array<number | null>(n);
  let i = 0;
  let withId = 0;
  for (const part of w.parts) {
    for (const e of part.events) {
      seqs[i] = e.seq;
      shardletIds[i] = part.shardletId;
      keys[i] = e.key;
      hashes[i] = e.keyHash;
      ids[i] = e.id;
      types[i] = e.type;
      tss[i] = e.ts;
      payloads[i] = e.payloadJson;
      sizes[i] = e.sizeBytes;
      stored[i] = e.part ?? null;
      if (e.id !== null) withId++;
      i++;
    }
  }
  // Each payload is JSON text already: joined, they are the array's JSON as it is.
  const payloadArray = `[${payloads.join(",")}]`;
  const values: unknown[] = [w.parts.map((p) => p.shardletId), w.parts.map((p) => p.epoch), w.streamId, seqs, shardletIds, keys, hashes, ids, types, tss, payloadArray, sizes];
  if (layout === "partitioned") values.push(stored);
  return { values, withId };
}

/** Runs one of the fenced batch statements for the host's layout; results are aligned with `w.parts`. */
export async function writeBatch(run: HostRun, w: HostBatchWrite, statement: LayoutStatement, layout: HostLayout): Promise<FencedWriteResult[]> {
  const { values, withId } = batchWriteValues(w, layout);
  const config: pg.QueryConfig = { ...statement[layout], values };
  type Row = { fenced_ok: string[]; inserted: number; part: string | null };
  let res: pg.QueryResult<Row> | undefined;
  for (let attempt = 1; !res; attempt++) {
    try {
      res = await run<Row>("fenced write", config);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (attempt >= 3 || typeof code !== "string" || !RETRYABLE_SQL_STATES.has(code)) throw err;
    }
  }
  const row = res.rows[0];
  const passed = new Set(row?.fenced_ok ?? []);
  const expected = w.parts.reduce((sum, p) => sum + (passed.has(p.shardletId) ? p.events.length : 0), 0);
  const inserted = row?.inserted ?? 0;
  const storedAt = row?.part == null ? undefined : Number(row.part);
  const duplicates = inserted === expected || withId === 0 ? null : await findDuplicates(run, w, passed, layout);
  return Promise.all(
    w.parts.map(async (part): Promise<FencedWriteResult> => {
      if (!passed.has(part.shardletId)) {
        const fence = await getFence(run, part.shardletId);
        return { ok: false, reason: "fenced", currentEpoch: fence?.epoch ?? null, currentState: fence?.state ?? null };
      }
      const dups: Array<{ index: number; seq: number }> = [];
      if (duplicates) {
        part.events.forEach((e, index) => {
          const seq = e.id === null ? undefined : duplicates.get(e.id);
          if (seq !== undefined && seq !== e.seq) dups.push({ index, seq });
        });
      }
      return { ok: true, inserted: part.events.length - dups.length, duplicates: dups, ...(storedAt !== undefined ? { part: storedAt } : {}) };
    }),
  );
}

/** Stored seq of every id in the parts that passed their fence (duplicates differ from ours). */
async function findDuplicates(run: HostRun, w: HostBatchWrite, passed: ReadonlySet<string>, layout: HostLayout): Promise<Map<string, number>> {
  const ids = new Set<string>();
  for (const part of w.parts) {
    if (!passed.has(part.shardletId)) continue;
    for (const e of part.events) if (e.id !== null) ids.add(e.id);
  }
  const res = await run<{ event_id: string; seq: string }>("duplicate lookup", {
    text: storedIdsSql(layout),
    values: [w.streamId, [...ids]],
  });
  return new Map(res.rows.map((r) => [r.event_id, Number(r.seq)]));
}

export async function foldStats(run: HostRun): Promise<ShardletTotals[]> {
  const res = await run<{ shardlet_id: string; events: number; bytes: number }>("stats fold", {
    text: `WITH d AS (
             DELETE FROM sc_stat_delta RETURNING shardlet_id, events, bytes
           ), agg AS (
             SELECT shardlet_id, sum(events) AS events, sum(bytes) AS bytes FROM d GROUP BY shardlet_id
           ), up AS (
             INSERT INTO sc_stat_total AS t (shardlet_id, events, bytes, updated_at)
             SELECT shardlet_id, events, bytes, now() FROM agg
             ON CONFLICT (shardlet_id) DO UPDATE
               SET events = t.events + excluded.events, bytes = t.bytes + excluded.bytes, updated_at = now()
             RETURNING shardlet_id, events, bytes
           )
           SELECT shardlet_id, events::float8 AS events, bytes::float8 AS bytes FROM up
           UNION ALL
           SELECT shardlet_id, events::float8, bytes::float8 FROM sc_stat_total
           WHERE shardlet_id NOT IN (SELECT shardlet_id FROM up)
           ORDER BY shardlet_id`,
  });
  return res.rows.map((r) => ({ shardletId: r.shardlet_id, events: r.events, bytes: r.bytes }));
}
