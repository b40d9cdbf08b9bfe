import type { StoredEvent } from "@shardcast/core";
import { batchRowsSql, splitArchived, type ArchiveColumns } from "./archive-codec.ts";
import { keptFromSql } from "./event-ids.ts";
import type { HostLayout } from "./layout.ts";
import { pageWithin } from "./page-budget.ts";
import { readEvent } from "./read-event.ts";
import type { HostRun } from "./types.ts";

/** Part of a key-hash range read after its own position: key hash in [lo, hi), seq > after. */
export interface RangeSegment {
  lo: number;
  hi: number;
  after: number;
}

export interface ReadRangesQuery {
  streamId: string;
  segments: readonly RangeSegment[];
  /** Inclusive upper bound (the watermark). */
  maxSeq: number;
  /** Most matching rows returned per table (events, overflow log). */
  limit: number;
  /** Bytes each table's matching rows stop at, counted as `ReadByPositionQuery.maxBytes` (archive batches included). */
  maxBytes?: number;
  /**
   * Most rows of the stream examined per table: a range that holds few of the host's events
   * would otherwise make one read walk the host's whole backlog. The answer says how far it got.
   */
  scanLimit: number;
  /** Shardlets whose fence states to return, read in the same snapshot as the events. */
  fenceIds: readonly string[];
}

export interface RangeReadResult {
  /** Matching events (overflow copies included) with seq <= `completeTo`, sorted by seq. */
  events: StoredEvent[];
  /** Every matching row of this host with seq <= this was returned. */
  completeTo: number;
  /** The fences asked for that exist, as of the read's snapshot. */
  fences: Array<{ shardletId: string; state: string }>;
}

interface Row extends ArchiveColumns {
  /** e: event, o: overflow copy, b: scan bounds, f: fence, and batch rows (blob set, kind null). */
  kind: "e" | "o" | "b" | "f" | null;
  seq: string | null;
  shardlet_id: string | null;
  key: string | null;
  event_id: string | null;
  type: string | null;
  ts_ms: number | null;
  payload: unknown;
  /** The size the event was stored with (`eventSizeBytes` at its write). */
  size_bytes: number | null;
  /** Bound row: how far each table's part of the answer is complete (null: up to the watermark). */
  end_e: string | null;
  end_o: string | null;
  /** Fence rows: the fence's state. */
  state: string | null;
}

const cols = (t: string) => `${t}.seq, ${t}.shardlet_id, ${t}.key, ${t}.event_id, ${t}.type, (extract(epoch FROM ${t}.ts) * 1000)::float8 AS ts_ms, ${t}.payload, ${t}.size_bytes::float8 AS size_bytes`;
const NONE = `NULL::bigint AS end_e, NULL::bigint AS end_o, NULL::text AS state`;
const NO_BATCH = `NULL::bigint AS archive_batch, NULL::bytea AS blob`;
/** The types of a row's columns before archive_batch (kind first), for the NULLs of batch rows. */
const ROW_TYPES = ["text", "bigint", "text", "text", "text", "text", "float8", "jsonb", "float8", "bigint", "bigint", "text"] as const;
/**
 * Up to this many segments are matched with inline comparisons (parameters $8 onwards, three per
 * segment): that costs about half of a semi-join against an unnested array per scanned row,
 * measured on a 300,000-row host; more segments (a member holding many merged ranges) use the join.
 */
const INLINE_SEGMENTS = 16;

/** Unprepared (see "Unprepared reads" in types.ts): only the text is kept per segment count. */
interface Statement {
  text: string;
}

/**
 * Parameters: $1 stream, $2 lowest position, $3 watermark, $4 limit, $5 scan limit, $6 fence ids,
 * $7 byte budget, then the segments. One statement, so the events, the overflow log and the fences
 * come from one snapshot: a fence that says `moved` tells the caller its route was stale before the
 * rows it read were cleaned up. The scan walks the primary key in sequence order from the lowest
 * segment position and keeps the rows whose hash falls in a segment past that segment's own
 * position; it stops as soon as `limit` rows matched (a streaming plan: Limit over Filter over
 * Limit over the index). Of those hits, the ones within the byte budget (see `pageWithin`: the
 * archive batches they point at count too) are kept, so only their payloads and batches are read. A
 * table whose hits filled the page (by count or by bytes) is complete up to its last hit; else, where
 * a scan of `scanLimit` rows ended, looked up only then.
 */
function statementFor(segments: number, layout: HostLayout): Statement {
  const inline = segments <= INLINE_SEGMENTS;
  // Expired rows below the stream's first kept position are skipped like rows before $2.
  const from = layout === "partitioned" ? `greatest($2, ${keptFromSql(layout)} - 1)` : "$2";
  const match = (t: string) =>
    inline
      ? Array.from({ length: segments }, (_, i) => `(${t}.key_hash >= $${8 + i * 3}::bigint AND ${t}.key_hash < $${9 + i * 3}::bigint AND ${t}.seq > $${10 + i * 3}::bigint)`).join(" OR ")
      : `EXISTS (SELECT 1 FROM seg WHERE ${t}.key_hash >= seg.lo AND ${t}.key_hash < seg.hi AND ${t}.seq > seg.after)`;
  // On a partitioned host a hit carries its partition key, so fetching its row probes one partition.
  const withPart = layout === "partitioned";
  const hits = (table: "sc_events" | "sc_overflow") => {
    const batch = table === "sc_events" ? "archive_batch" : "NULL::bigint AS archive_batch";
    const part = withPart && table === "sc_events" ? "part, " : "";
    const rows = `SELECT seq, ${part}size_bytes, archive_batch FROM (SELECT seq, ${part}key_hash, size_bytes, ${batch} FROM ${table} WHERE stream_id = $1 AND seq > ${from} AND seq <= $3 ORDER BY seq LIMIT $5) s
        WHERE ${match("s")} ORDER BY seq LIMIT $4`;
    return pageWithin(rows, part ? "seq, part" : "seq", "seq", table === "sc_events", "$7", "NULL");
  };
  const tableEnd = (table: string, hitsOf: string) =>
    `CASE WHEN (SELECT count(*) FROM ${hitsOf}) >= $4 OR (SELECT bool_or(reached) FROM ${hitsOf}) THEN (SELECT max(seq) FROM ${hitsOf})
     ELSE (SELECT seq FROM ${table} WHERE stream_id = $1 AND seq > ${from} AND seq <= $3 ORDER BY seq OFFSET ($5::int - 1) LIMIT 1) END`;
  const seg = inline ? "" : `seg AS (SELECT * FROM unnest($8::bigint[], $9::bigint[], $10::bigint[]) AS s(lo, hi, after)),`;
  return {
    text: `
WITH ${seg}
hit_e AS MATERIALIZED (${hits("sc_events")}),
hit_o AS MATERIALIZED (${hits("sc_overflow")}),
ev AS MATERIALIZED (
  SELECT 'e' AS kind, ${cols("e")}, ${NONE}, e.archive_batch
    FROM hit_e JOIN sc_events e ON e.stream_id = $1 AND e.seq = hit_e.seq${withPart ? " AND e.part = hit_e.part" : ""}
)
SELECT ev.*, NULL::bytea AS blob FROM ev
UNION ALL
SELECT 'o', ${cols("o")}, ${NONE}, ${NO_BATCH}
  FROM hit_o JOIN sc_overflow o ON o.stream_id = $1 AND o.seq = hit_o.seq
UNION ALL
SELECT 'b', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, ${tableEnd("sc_events", "hit_e")}, ${tableEnd("sc_overflow", "hit_o")}, NULL, ${NO_BATCH}
UNION ALL
SELECT 'f', NULL, shardlet_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, state, ${NO_BATCH} FROM sc_fence WHERE shardlet_id = ANY($6::text[])
UNION ALL
${batchRowsSql("ev", ROW_TYPES)}`,
  };
}

const statements = new Map<string, Statement>();

/**
 * A host's events in key-hash ranges after per-range positions, from its events and its overflow
 * log, in sequence order, never past `maxSeq`: what a consumer reads of its shardlets.
 */
export async function readRanges(run: HostRun, q: ReadRangesQuery, layout: HostLayout = "legacy"): Promise<RangeReadResult> {
  const from = Math.min(...q.segments.map((s) => s.after));
  if (q.segments.length === 0 || from >= q.maxSeq) return { events: [], completeTo: q.maxSeq, fences: [] };
  const n = q.segments.length;
  // Inline statements differ by segment count; every larger count shares the array form.
  const key = `${layout}:${n <= INLINE_SEGMENTS ? n : -1}`;
  let st = statements.get(key);
  if (!st) {
    st = statementFor(n, layout);
    statements.set(key, st);
  }
  const segmentValues =
    n <= INLINE_SEGMENTS ? q.segments.flatMap((s) => [s.lo, s.hi, s.after]) : [q.segments.map((s) => s.lo), q.segments.map((s) => s.hi), q.segments.map((s) => s.after)];
  const res = await run<Row>("read ranges", {
    ...st,
    values: [q.streamId, from, q.maxSeq, q.limit, q.scanLimit, q.fenceIds, q.maxBytes ?? null, ...segmentValues],
  });
  const bound = res.rows.find((r) => r.kind === "b");
  const end = (v: string | null | undefined) => (v === null || v === undefined ? q.maxSeq : Number(v));
  const completeTo = Math.min(end(bound?.end_e), end(bound?.end_o));
  // Rows past `completeTo` are left out before the payloads are unpacked, so their batches are not.
  const { rows, archived } = await splitArchived(res.rows.filter((r) => (r.kind !== "e" && r.kind !== "o") || Number(r.seq) <= completeTo));
  const events: StoredEvent[] = [];
  const fences: RangeReadResult["fences"] = [];
  for (const r of rows) {
    if (r.kind === "f") fences.push({ shardletId: r.shardlet_id!, state: r.state! });
    else if (r.kind === "e" || r.kind === "o") {
      const seq = Number(r.seq);
      const text = archived.get(seq);
      const payload = r.kind === "e" && text !== undefined ? (JSON.parse(text) as unknown) : r.payload;
      events.push(readEvent({ streamId: q.streamId, seq, shardletId: r.shardlet_id!, key: r.key!, id: r.event_id, type: r.type, ts: Math.round(r.ts_ms!), payload }, r.size_bytes));
    }
  }
  return { events: events.sort((a, b) => a.seq - b.seq), completeTo, fences };
}

export interface RangeBacklog {
  /** Matching events after the segments' positions (at least this many when `capped`). */
  events: number;
  /** Stored time of the oldest of them, epoch ms (null: none). */
  oldestStoredAt: number | null;
  capped: boolean;
}

const backlogSql = (layout: HostLayout) => `
WITH seg AS (SELECT * FROM unnest($2::bigint[], $3::bigint[], $4::bigint[]) AS s(lo, hi, after)),
ev AS (SELECT seq, key_hash, stored_at FROM sc_events WHERE stream_id = $1 AND seq > ${layout === "partitioned" ? `greatest($5, ${keptFromSql(layout)} - 1)` : "$5"} ORDER BY seq LIMIT $6)
SELECT (SELECT count(*) FROM ev)::float8 AS scanned,
       count(*)::float8 AS n,
       (extract(epoch FROM min(stored_at)) * 1000)::float8 AS oldest
FROM ev WHERE EXISTS (SELECT 1 FROM seg WHERE ev.key_hash >= seg.lo AND ev.key_hash < seg.hi AND ev.seq > seg.after)`;

/** How far behind a consumer's ranges are on this host: events after the positions, and the oldest one's age. */
export async function rangeBacklog(
  run: HostRun,
  q: { streamId: string; segments: readonly RangeSegment[]; scanLimit: number },
  layout: HostLayout = "legacy",
): Promise<RangeBacklog> {
  if (q.segments.length === 0) return { events: 0, oldestStoredAt: null, capped: false };
  const res = await run<{ scanned: number; n: number; oldest: number | null }>("range backlog", {
    text: backlogSql(layout),
    values: [q.streamId, q.segments.map((s) => s.lo), q.segments.map((s) => s.hi), q.segments.map((s) => s.after), Math.min(...q.segments.map((s) => s.after)), q.scanLimit],
  });
  const r = res.rows[0];
  return { events: r?.n ?? 0, oldestStoredAt: r?.oldest ?? null, capped: (r?.scanned ?? 0) >= q.scanLimit };
}
