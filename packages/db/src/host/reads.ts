import { ShardcastError, type StoredEvent } from "@shardcast/core";
import { batchRowsSql, splitArchived, type ArchiveColumns } from "./archive-codec.ts";
import { keptFromSql } from "./event-ids.ts";
import type { HostLayout } from "./layout.ts";
import { pageWithin } from "./page-budget.ts";
import { readEvent } from "./read-event.ts";
import type { HostRun, KeyReadResult, PositionReadResult, ReadByKeyQuery, ReadByPositionQuery } from "./types.ts";

const EVENT_COLUMNS = `stream_id, seq, shardlet_id, key, event_id, type, (extract(epoch FROM ts) * 1000)::float8 AS ts_ms, payload, size_bytes::float8 AS size_bytes`;
/** The types of EVENT_COLUMNS, for the NULLs of batch rows. */
const EVENT_TYPES = ["text", "bigint", "text", "text", "text", "text", "float8", "jsonb", "float8"] as const;
/** The same with `reached` after them, for the reads that bound their pages by bytes. */
const PAGE_TYPES = [...EVENT_TYPES, "bool"] as const;
/**
 * Most archive batches a page of a read by key needs. Each batch is unpacked whole (about 500
 * payloads) for the one or two of the key's events in it; the byte budget counts their compressed
 * size, and this bounds the unpacking of a read that asks for no budget, or whose batches compress well.
 */
export const KEY_READ_MAX_BATCHES = 16;

interface EventRow extends ArchiveColumns {
  stream_id: string;
  seq: string;
  shardlet_id: string;
  key: string;
  event_id: string | null;
  type: string | null;
  ts_ms: number;
  payload: unknown;
  /** The size the event was stored with (`eventSizeBytes` at its write). */
  size_bytes: number | null;
}

/** A row of a read bounded by bytes: `reached` when its table's page ends at it (see `pageWithin`). */
interface PageRow extends EventRow {
  reached: boolean | null;
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
 * One table's part of a read bounded by bytes (see `pageWithin`): its first `limit` matching rows
 * in `order`. One key's events are spread over many batches, hence `maxBatches` for reads by key.
 */
function budgeted(table: "sc_events" | "sc_overflow", where: string, order: string, limit: string, maxBytes: string, maxBatches: string): string {
  const archived = table === "sc_events";
  const columns = "stream_id, seq, shardlet_id, key, event_id, type, ts, payload, size_bytes, archive_batch";
  const rows = `SELECT stream_id, seq, shardlet_id, key, event_id, type, ts, payload, ${archived ? "archive_batch" : "NULL::bigint AS archive_batch"}, size_bytes
                   FROM ${table} WHERE ${where} ORDER BY ${order} LIMIT ${limit}`;
  return `(${pageWithin(rows, columns, order, archived, maxBytes, maxBatches)})`;
}

/** A row of a read by position: a page row, or (`fence_state` set, the rest null) a fence asked for. */
interface PositionRow extends PageRow {
  fence_state: string | null;
}
/** PAGE_TYPES with `fence_state` after them. */
const POSITION_TYPES = [...PAGE_TYPES, "text"] as const;

/** The rows that reached a bound of their table's page: the last row of each table cut by it (rows after it were left out). */
function budgetCuts(rows: readonly PageRow[]): PageRow[] {
  return rows.filter((r) => r.blob === null && r.reached === true);
}

async function toStoredEvents(rows: readonly EventRow[]): Promise<StoredEvent[]> {
  const { rows: events, archived } = await splitArchived(rows);
  return events.map((r) => {
    const seq = Number(r.seq);
    const text = archived.get(seq);
    return readEvent(
      {
        streamId: r.stream_id,
        seq,
        shardletId: r.shardlet_id,
        key: r.key,
        id: r.event_id,
        type: r.type,
        ts: Math.round(r.ts_ms),
        payload: text === undefined ? r.payload : (JSON.parse(text) as unknown),
      },
      r.size_bytes,
    );
  });
}

const keyWhere = (layout: HostLayout) => `stream_id = $1 AND key = $2
               AND ($3::float8 IS NULL OR ts >= to_timestamp($3::float8 / 1000.0))
               AND ($4::float8 IS NULL OR ts < to_timestamp($4::float8 / 1000.0))
               AND ($6::bigint IS NULL OR (ts, seq) > (to_timestamp($3::float8 / 1000.0), $6::bigint))${
                 layout === "partitioned" ? `\n               AND seq >= ${keptFromSql(layout)}` : ""
               }`;

export async function readByKey(run: HostRun, q: ReadByKeyQuery, layout: HostLayout = "legacy"): Promise<KeyReadResult> {
  // Without a time to compare against, the continuation matches no row and the read would look finished.
  if (q.afterSeq !== undefined && q.fromTs === undefined) throw new ShardcastError("bad_request", "a read by key that continues after a position needs the time it continues from (fromTs)");
  const res = await run<PageRow>("read by key", {
    // Events still in (or recently drained from) an overflow log on this host are part of the
    // answer: a reader merging hosts dedupes by seq. Each table is walked in (time, position)
    // order on its key index, so a key with a long history is not read whole for one page.
    text: withBatches(
      `SELECT ${EVENT_COLUMNS}, reached, archive_batch FROM (
             ${budgeted("sc_events", keyWhere(layout), "ts, seq", "$5", "$7", "$8")}
             UNION ALL
             ${budgeted("sc_overflow", keyWhere(layout), "ts, seq", "$5", "$7", "$8")}
           ) e ORDER BY ts, seq LIMIT $5`,
      PAGE_TYPES,
    ),
    values: [q.streamId, q.key, q.fromTs ?? null, q.toTs ?? null, q.limit, q.afterSeq ?? null, q.maxBytes ?? null, KEY_READ_MAX_BATCHES],
  });
  // A table cut by its bounds may hold rows before the other table's last ones: the answer ends at the
  // earliest cut, so everything of the host up to its last event is in it. Rows past it are left
  // out before the payloads are unpacked, so their batches are not.
  const cut = budgetCuts(res.rows)
    .map((r) => ({ ts: Math.round(r.ts_ms), seq: Number(r.seq) }))
    .sort((a, b) => a.ts - b.ts || a.seq - b.seq)[0];
  const atOrBeforeCut = (r: PageRow) => !cut || r.blob !== null || Math.round(r.ts_ms) < cut.ts || (Math.round(r.ts_ms) === cut.ts && Number(r.seq) <= cut.seq);
  const events = (await toStoredEvents(res.rows.filter(atOrBeforeCut))).sort((a, b) => a.ts - b.ts || a.seq - b.seq);
  return { events, more: cut !== undefined || events.length >= q.limit };
}

/** Marks the row of a read by position that carries the stream's first kept position (no fence has this state). */
const START_ROW = ":start";

export async function readByPosition(run: HostRun, q: ReadByPositionQuery, layout: HostLayout = "legacy"): Promise<PositionReadResult> {
  const partitioned = layout === "partitioned";
  const where = partitioned ? `stream_id = $1 AND seq > greatest($2, ${keptFromSql(layout)} - 1) AND seq <= $3` : "stream_id = $1 AND seq > $2 AND seq <= $3";
  // The first kept position comes from the rows' snapshot too: a later one may already skip rows returned.
  const start = partitioned
    ? `
UNION ALL
SELECT NULL::text, start_seq, NULL::text, NULL::text, NULL::text, NULL::text, NULL::float8, NULL::jsonb, NULL::float8, NULL::bool, '${START_ROW}', NULL::bigint, NULL::bytea
  FROM sc_stream_retention WHERE stream_id = $1 AND start_seq > 0`
    : "";
  const res = await run<PositionRow>("read by position", {
    // The fences come from the rows' own snapshot: a fence read after them may already show a
    // later state (a shardlet moved back, say) than the one the rows were read under.
    text: withBatches(
      `SELECT ${EVENT_COLUMNS}, reached, NULL::text AS fence_state, archive_batch FROM (
             ${budgeted("sc_events", where, "seq", "$4", "$5", "NULL")}
             UNION ALL
             ${budgeted("sc_overflow", where, "seq", "$4", "$5", "NULL")}
           ) e ORDER BY seq LIMIT $4`,
      POSITION_TYPES,
      `SELECT NULL::text, NULL::bigint, shardlet_id, NULL::text, NULL::text, NULL::text, NULL::float8, NULL::jsonb, NULL::float8, NULL::bool, state, NULL::bigint, NULL::bytea
         FROM sc_fence WHERE shardlet_id = ANY($6::text[])${start}`,
    ),
    values: [q.streamId, q.afterSeq, q.maxSeq, q.limit, q.maxBytes ?? null, q.fenceIds ?? null],
  });
  const fences: NonNullable<PositionReadResult["fences"]> = [];
  const rows: PositionRow[] = [];
  let kept: number | undefined;
  for (const r of res.rows) {
    if (r.fence_state === null) rows.push(r);
    else if (r.fence_state === START_ROW) kept = Number(r.seq);
    else fences.push({ shardletId: r.shardlet_id, state: r.fence_state });
  }
  const seqs = rows.filter((r) => r.blob === null).map((r) => Number(r.seq));
  let completeTo = q.maxSeq;
  // A page cut by count may end between a position's two rows (its event and an overflow copy), so
  // its last position is left out, unless it is the only one: the read then still goes on.
  if (seqs.length >= q.limit && seqs.length > 0) {
    const [lo, hi] = seqs.reduce(([a, b], s) => [Math.min(a, s), Math.max(b, s)], [Infinity, -Infinity]);
    completeTo = Math.max(lo, hi - 1);
  }
  for (const r of budgetCuts(rows)) completeTo = Math.min(completeTo, Number(r.seq));
  // Rows past `completeTo` are left out before the payloads are unpacked, so their batches are not.
  const inPage = completeTo < q.maxSeq ? rows.filter((r) => r.blob !== null || Number(r.seq) <= completeTo) : rows;
  const page = { events: (await toStoredEvents(inPage)).sort((a, b) => a.seq - b.seq), completeTo, ...(kept !== undefined ? { start: kept } : {}) };
  return q.fenceIds ? { ...page, fences } : page;
}

export async function recentEvents(run: HostRun, streamId: string, limit: number, layout: HostLayout = "legacy"): Promise<StoredEvent[]> {
  const kept = layout === "partitioned" ? ` AND seq >= ${keptFromSql(layout)}` : "";
  const res = await run<EventRow>("recent events", {
    text: withBatches(`SELECT ${EVENT_COLUMNS}, archive_batch FROM sc_events WHERE stream_id = $1${kept} ORDER BY seq DESC LIMIT $2`),
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
