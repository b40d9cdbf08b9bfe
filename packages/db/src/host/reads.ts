import type { StoredEvent } from "@shardcast/core";
import { batchRowsSql, splitArchived, type ArchiveColumns } from "./archive-codec.ts";
import type { HostRun, ReadByKeyQuery, ReadByPositionQuery } from "./types.ts";

const EVENT_COLUMNS = `stream_id, seq, shardlet_id, key, event_id, type, (extract(epoch FROM ts) * 1000)::float8 AS ts_ms, payload`;
/** The types of EVENT_COLUMNS, for the NULLs of batch rows. */
const EVENT_TYPES = ["text", "bigint", "text", "text", "text", "text", "float8", "jsonb"] as const;

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

/**
 * A read over the rows of CTE `r` (EVENT_COLUMNS and archive_batch): the rows, then the archive
 * batches they need. Row order is not kept by the UNION: callers sort.
 */
function withBatches(cte: string): string {
  return `WITH r AS MATERIALIZED (${cte})
SELECT r.*, NULL::bytea AS blob FROM r
UNION ALL
${batchRowsSql("r", EVENT_TYPES)}`;
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

export async function readByKey(run: HostRun, q: ReadByKeyQuery): Promise<StoredEvent[]> {
  const res = await run<EventRow>("read by key", {
    // Events still in (or recently drained from) an overflow log on this host are part of the
    // answer: a reader merging hosts dedupes by seq.
    text: withBatches(`SELECT * FROM (
             SELECT ${EVENT_COLUMNS}, archive_batch FROM sc_events
             WHERE stream_id = $1 AND key = $2
               AND ($3::float8 IS NULL OR ts >= to_timestamp($3::float8 / 1000.0))
               AND ($4::float8 IS NULL OR ts < to_timestamp($4::float8 / 1000.0))
             UNION ALL
             SELECT ${EVENT_COLUMNS}, NULL::bigint FROM sc_overflow
             WHERE stream_id = $1 AND key = $2
               AND ($3::float8 IS NULL OR ts >= to_timestamp($3::float8 / 1000.0))
               AND ($4::float8 IS NULL OR ts < to_timestamp($4::float8 / 1000.0))
           ) e ORDER BY ts_ms, seq LIMIT $5`),
    values: [q.streamId, q.key, q.fromTs ?? null, q.toTs ?? null, q.limit],
  });
  return (await toStoredEvents(res.rows)).sort((a, b) => a.ts - b.ts || a.seq - b.seq);
}

export async function readByPosition(run: HostRun, q: ReadByPositionQuery): Promise<StoredEvent[]> {
  const res = await run<EventRow>("read by position", {
    text: withBatches(`SELECT * FROM (
             (SELECT ${EVENT_COLUMNS}, archive_batch FROM sc_events WHERE stream_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4)
             UNION ALL
             (SELECT ${EVENT_COLUMNS}, NULL::bigint FROM sc_overflow WHERE stream_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4)
           ) e ORDER BY seq LIMIT $4`),
    values: [q.streamId, q.afterSeq, q.maxSeq, q.limit],
  });
  return (await toStoredEvents(res.rows)).sort((a, b) => a.seq - b.seq);
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
