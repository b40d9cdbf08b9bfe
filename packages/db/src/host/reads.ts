import { ShardcastError, type StoredEvent } from "@shardcast/core";
import { batchRowsSql, splitArchived, type ArchiveColumns } from "./archive-codec.ts";
import type { HostRun, KeyReadResult, PositionReadResult, ReadByKeyQuery, ReadByPositionQuery } from "./types.ts";

const EVENT_COLUMNS = `stream_id, seq, shardlet_id, key, event_id, type, (extract(epoch FROM ts) * 1000)::float8 AS ts_ms, payload`;
/** The types of EVENT_COLUMNS, for the NULLs of batch rows. */
const EVENT_TYPES = ["text", "bigint", "text", "text", "text", "text", "float8", "jsonb"] as const;
/** The same with `upto_bytes` after them, for the reads that bound their pages by bytes. */
const PAGE_TYPES = [...EVENT_TYPES, "float8"] as const;

interface EventRow extends ArchiveColumns {
  stream_id: string;
  seq: string;
  shardlet_id: string;
  key: string;
  event_id: string | null;
  type: string | null;
  ts_ms: number;
  payload: unknown;
}

/** A row of a read bounded by bytes: `upto_bytes` is its table's `size_bytes` summed up to and including it. */
interface PageRow extends EventRow {
  upto_bytes: number;
}

/**
 * A read over the rows of CTE `r` (EVENT_COLUMNS and archive_batch): the rows, then the archive
 * batches they need. Row order is not kept by the UNION: callers sort. `also`: more rows of the
 * same columns, answered in the same statement (and so the same snapshot) as the rows.
 */
function withBatches(cte: string, types: readonly string[] = EVENT_TYPES, also?: string): string {
  return `WITH r AS MATERIALIZED (${cte})
SELECT r.*, NULL::bytea AS blob FROM r
UNION ALL
${also ? `${also}\nUNION ALL\n` : ""}${batchRowsSql("r", types)}`;
}

/**
 * One table's part of a read bounded by bytes: its first `limit` matching rows in `order`, kept
 * while the bytes of the rows before them are under `maxBytes` (null: all kept). The running sum
 * is taken over what the limit lets through, so the scan still walks the index in `order` and
 * stops at `limit` rows: a row past the budget costs a visit to its heap row, never its payload.
 */
function budgeted(table: string, batch: string, where: string, order: string, limit: string, maxBytes: string): string {
  return `(SELECT * FROM (
             SELECT stream_id, seq, shardlet_id, key, event_id, type, ts, payload, ${batch} AS archive_batch, size_bytes,
                    (sum(size_bytes) OVER (ORDER BY ${order} ROWS UNBOUNDED PRECEDING))::float8 AS upto_bytes
             FROM ${table} WHERE ${where} ORDER BY ${order} LIMIT ${limit}
           ) t WHERE ${maxBytes}::float8 IS NULL OR t.upto_bytes - t.size_bytes < ${maxBytes}::float8 ORDER BY ${order})`;
}

/** A row of a read by position: a page row, or (`fence_state` set, the rest null) a fence asked for. */
interface PositionRow extends PageRow {
  fence_state: string | null;
}
/** PAGE_TYPES with `fence_state` after them. */
const POSITION_TYPES = [...PAGE_TYPES, "text"] as const;

/** The rows that reached the byte budget: the last row of each table cut by it (rows after it were left out). */
function budgetCuts(rows: readonly PageRow[], maxBytes: number | undefined): PageRow[] {
  return maxBytes === undefined ? [] : rows.filter((r) => r.blob === null && r.upto_bytes >= maxBytes);
}

async function toStoredEvents(rows: readonly EventRow[]): Promise<StoredEvent[]> {
  const { rows: events, archived } = await splitArchived(rows);
  return events.map((r) => {
    const seq = Number(r.seq);
    const text = archived.get(seq);
    return {
      streamId: r.stream_id,
      seq,
      shardletId: r.shardlet_id,
      key: r.key,
      id: r.event_id,
      type: r.type,
      ts: Math.round(r.ts_ms),
      payload: text === undefined ? r.payload : (JSON.parse(text) as unknown),
    };
  });
}

const KEY_WHERE = `stream_id = $1 AND key = $2
               AND ($3::float8 IS NULL OR ts >= to_timestamp($3::float8 / 1000.0))
               AND ($4::float8 IS NULL OR ts < to_timestamp($4::float8 / 1000.0))
               AND ($6::bigint IS NULL OR (ts, seq) > (to_timestamp($3::float8 / 1000.0), $6::bigint))`;

export async function readByKey(run: HostRun, q: ReadByKeyQuery): Promise<KeyReadResult> {
  // Without a time to compare against, the continuation matches no row and the read would look finished.
  if (q.afterSeq !== undefined && q.fromTs === undefined) throw new ShardcastError("bad_request", "a read by key that continues after a position needs the time it continues from (fromTs)");
  const res = await run<PageRow>("read by key", {
    // Events still in (or recently drained from) an overflow log on this host are part of the
    // answer: a reader merging hosts dedupes by seq. Each table is walked in (time, position)
    // order on its key index, so a key with a long history is not read whole for one page.
    text: withBatches(
      `SELECT ${EVENT_COLUMNS}, upto_bytes, archive_batch FROM (
             ${budgeted("sc_events", "archive_batch", KEY_WHERE, "ts, seq", "$5", "$7")}
             UNION ALL
             ${budgeted("sc_overflow", "NULL::bigint", KEY_WHERE, "ts, seq", "$5", "$7")}
           ) e ORDER BY ts, seq LIMIT $5`,
      PAGE_TYPES,
    ),
    values: [q.streamId, q.key, q.fromTs ?? null, q.toTs ?? null, q.limit, q.afterSeq ?? null, q.maxBytes ?? null],
  });
  const events = (await toStoredEvents(res.rows)).sort((a, b) => a.ts - b.ts || a.seq - b.seq);
  // A table cut by bytes may hold rows before the other table's last ones: the answer ends at the
  // earliest cut, so everything of the host up to its last event is in it.
  const cut = budgetCuts(res.rows, q.maxBytes)
    .map((r) => ({ ts: Math.round(r.ts_ms), seq: Number(r.seq) }))
    .sort((a, b) => a.ts - b.ts || a.seq - b.seq)[0];
  if (!cut) return { events, more: events.length >= q.limit };
  return { events: events.filter((e) => e.ts < cut.ts || (e.ts === cut.ts && e.seq <= cut.seq)), more: true };
}

export async function readByPosition(run: HostRun, q: ReadByPositionQuery): Promise<PositionReadResult> {
  const where = "stream_id = $1 AND seq > $2 AND seq <= $3";
  const res = await run<PositionRow>("read by position", {
    // The fences come from the rows' own snapshot: a fence read after them may already show a
    // later state (a shardlet moved back, say) than the one the rows were read under.
    text: withBatches(
      `SELECT ${EVENT_COLUMNS}, upto_bytes, NULL::text AS fence_state, archive_batch FROM (
             ${budgeted("sc_events", "archive_batch", where, "seq", "$4", "$5")}
             UNION ALL
             ${budgeted("sc_overflow", "NULL::bigint", where, "seq", "$4", "$5")}
           ) e ORDER BY seq LIMIT $4`,
      POSITION_TYPES,
      `SELECT NULL::text, NULL::bigint, shardlet_id, NULL::text, NULL::text, NULL::text, NULL::float8, NULL::jsonb, NULL::float8, state, NULL::bigint, NULL::bytea
         FROM sc_fence WHERE shardlet_id = ANY($6::text[])`,
    ),
    values: [q.streamId, q.afterSeq, q.maxSeq, q.limit, q.maxBytes ?? null, q.fenceIds ?? null],
  });
  const fences: NonNullable<PositionReadResult["fences"]> = [];
  const rows: PositionRow[] = [];
  for (const r of res.rows) {
    if (r.fence_state === null) rows.push(r);
    else fences.push({ shardletId: r.shardlet_id, state: r.fence_state });
  }
  const events = (await toStoredEvents(rows)).sort((a, b) => a.seq - b.seq);
  let completeTo = q.maxSeq;
  // A page cut by count may end between a position's two rows (its event and an overflow copy), so
  // its last position is left out, unless it is the only one: the read then still goes on.
  if (events.length >= q.limit && events.length > 0) completeTo = Math.max(events[0]!.seq, events[events.length - 1]!.seq - 1);
  for (const r of budgetCuts(rows, q.maxBytes)) completeTo = Math.min(completeTo, Number(r.seq));
  const page = { events: completeTo < q.maxSeq ? events.filter((e) => e.seq <= completeTo) : events, completeTo };
  return q.fenceIds ? { ...page, fences } : page;
}

export async function recentEvents(run: HostRun, streamId: string, limit: number): Promise<StoredEvent[]> {
  const res = await run<EventRow>("recent events", {
    text: withBatches(`SELECT ${EVENT_COLUMNS}, archive_batch FROM sc_events WHERE stream_id = $1 ORDER BY seq DESC LIMIT $2`),
    values: [streamId, limit],
  });
  return (await toStoredEvents(res.rows)).sort((a, b) => b.seq - a.seq);
}

export async function countEvents(run: HostRun, streamId?: string): Promise<number> {
  const res = await run<{ n: number }>("count", {
    text: "SELECT count(*)::float8 AS n FROM sc_events WHERE $1::text IS NULL OR stream_id = $1",
    values: [streamId ?? null],
  });
  return res.rows[0]?.n ?? 0;
}
