import type pg from "pg";
import { getFence } from "./fences.ts";
import type { FencedWriteResult, HostBatchWrite, HostRun, ShardletTotals } from "./types.ts";

/**
 * The head of every fenced batch statement (`batchWriteValues`' parameters): `f` holds the parts
 * whose fence is in `state` at the epoch sent, `ins` the events inserted into those parts only.
 */
export const fencedInsertSql = (state: "active" | "shadow", onConflict: string, returning: string): string => `
WITH f AS (
  SELECT shardlet_id FROM sc_fence
  WHERE (shardlet_id, epoch) IN (SELECT * FROM unnest($1::text[], $2::int[])) AND state = '${state}'
  FOR SHARE SKIP LOCKED
), ins AS (
  INSERT INTO sc_events (stream_id, seq, shardlet_id, key, key_hash, event_id, type, ts, payload, size_bytes)
  SELECT $3, t.seq, t.shardlet_id, t.key, t.key_hash, t.event_id, t.type, to_timestamp(t.ts_ms / 1000.0), t.payload::jsonb, t.size_bytes
  FROM unnest($4::bigint[], $5::text[], $6::text[], $7::bigint[], $8::text[], $9::text[], $10::float8[], $11::text[], $12::int[])
    AS t(seq, shardlet_id, key, key_hash, event_id, type, ts_ms, payload, size_bytes)
  WHERE t.shardlet_id IN (SELECT shardlet_id FROM f)
  ${onConflict}
  RETURNING ${returning}
)`;

/** What a fenced statement answers: the parts their fence let in, and the events inserted. */
export const FENCED_RESULT_SQL = "SELECT (SELECT coalesce(array_agg(shardlet_id), '{}') FROM f) AS fenced_ok, (SELECT count(*) FROM ins)::int AS inserted";

/**
 * The hot path: one statement per host per batch, whatever the number of shardlets in it. Each
 * shardlet's fence row is share-locked at the epoch the writer routed with, so an epoch raise
 * (`setFence`, which takes the row lock) waits for writes in flight, and writes that arrive after
 * it store nothing for that shardlet. SKIP LOCKED: a fence row whose epoch is being raised right
 * now counts as fenced instead of making the whole statement (every other shardlet of the host in
 * this batch) wait for the change; the writer sends those events to the overflow log. Duplicate event ids are skipped by the partial unique
 * index; accounting goes to the append-only delta table in the same statement.
 */
const fencedWriteSql = (onConflict: string) => `${fencedInsertSql("active", onConflict, "shardlet_id, size_bytes")}, st AS (
  INSERT INTO sc_stat_delta (shardlet_id, events, bytes)
  SELECT shardlet_id, count(*), sum(size_bytes) FROM ins GROUP BY shardlet_id
)
${FENCED_RESULT_SQL}`;

/** Producers' writes: a repeated event id is skipped (idempotency); anything else is an error. */
export const FENCED_WRITE = {
  name: "sc_fenced_write_v2",
  text: fencedWriteSql("ON CONFLICT (stream_id, event_id) WHERE event_id IS NOT NULL DO NOTHING"),
};
/**
 * Drains re-deliver rows after a crash: skipping on any unique key (seq or id) makes them
 * idempotent. A skip does not mean the row is stored (its seq may hold a different event), so the
 * drain checks what the host holds before it settles a row (`checkDrainedRows`).
 */
export const DRAIN_WRITE = { name: "sc_drain_write_v1", text: fencedWriteSql("ON CONFLICT DO NOTHING") };

/** Share locks of a writer and an epoch raise over several rows can deadlock; PostgreSQL aborts one side. */
const RETRYABLE_SQL_STATES = new Set(["40P01", "40001"]);

/**
 * The parameters of the fenced batch statements (fast path, drain and shadow writes): the fences
 * (shardlet ids and epochs), the stream, then one array per column. `withId` counts events that
 * carry an idempotency id (none: no duplicate lookup is needed).
 */
export function batchWriteValues(w: HostBatchWrite): { values: unknown[]; withId: number } {
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
      if (e.id !== null) withId++;
      i++;
    }
  }
  const values = [w.parts.map((p) => p.shardletId), w.parts.map((p) => p.epoch), w.streamId, seqs, shardletIds, keys, hashes, ids, types, tss, payloads, sizes];
  return { values, withId };
}

/** Runs one of the fenced batch statements; results are aligned with `w.parts`. */
export async function writeBatch(run: HostRun, w: HostBatchWrite, statement: { name: string; text: string }): Promise<FencedWriteResult[]> {
  const { values, withId } = batchWriteValues(w);
  const config: pg.QueryConfig = { ...statement, values };
  let res: pg.QueryResult<{ fenced_ok: string[]; inserted: number }> | undefined;
  for (let attempt = 1; !res; attempt++) {
    try {
      res = await run<{ fenced_ok: string[]; inserted: number }>("fenced write", config);
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (attempt >= 3 || typeof code !== "string" || !RETRYABLE_SQL_STATES.has(code)) throw err;
    }
  }
  const row = res.rows[0];
  const passed = new Set(row?.fenced_ok ?? []);
  const expected = w.parts.reduce((sum, p) => sum + (passed.has(p.shardletId) ? p.events.length : 0), 0);
  const inserted = row?.inserted ?? 0;
  const duplicates = inserted === expected || withId === 0 ? null : await findDuplicates(run, w, passed);
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
      return { ok: true, inserted: part.events.length - dups.length, duplicates: dups };
    }),
  );
}

/** Stored seq of every id in the parts that passed their fence (duplicates differ from ours). */
async function findDuplicates(run: HostRun, w: HostBatchWrite, passed: ReadonlySet<string>): Promise<Map<string, number>> {
  const ids = new Set<string>();
  for (const part of w.parts) {
    if (!passed.has(part.shardletId)) continue;
    for (const e of part.events) if (e.id !== null) ids.add(e.id);
  }
  const res = await run<{ event_id: string; seq: string }>("duplicate lookup", {
    text: "SELECT event_id, seq FROM sc_events WHERE stream_id = $1 AND event_id = ANY($2::text[])",
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
