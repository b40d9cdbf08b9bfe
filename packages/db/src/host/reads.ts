import type { StoredEvent } from "@shardcast/core";
import type { HostRun, ReadByKeyQuery, ReadByPositionQuery } from "./types.ts";

const EVENT_COLUMNS = `stream_id, seq, shardlet_id, key, event_id, type, (extract(epoch FROM ts) * 1000)::float8 AS ts_ms, payload`;

interface EventRow {
  stream_id: string;
  seq: string;
  shardlet_id: string;
  key: string;
  event_id: string | null;
  type: string | null;
  ts_ms: number;
  payload: unknown;
}

function toStoredEvent(r: EventRow): StoredEvent {
  return {
    streamId: r.stream_id,
    seq: Number(r.seq),
    shardletId: r.shardlet_id,
    key: r.key,
    id: r.event_id,
    type: r.type,
    ts: Math.round(r.ts_ms),
    payload: r.payload,
  };
}

export async function readByKey(run: HostRun, q: ReadByKeyQuery): Promise<StoredEvent[]> {
  const res = await run<EventRow>("read by key", {
    name: "sc_read_by_key_v2",
    // Events still in (or recently drained from) an overflow log on this host are part of the
    // answer: a reader merging hosts dedupes by seq.
    text: `SELECT * FROM (
             SELECT ${EVENT_COLUMNS} FROM sc_events
             WHERE stream_id = $1 AND key = $2
               AND ($3::float8 IS NULL OR ts >= to_timestamp($3::float8 / 1000.0))
               AND ($4::float8 IS NULL OR ts < to_timestamp($4::float8 / 1000.0))
             UNION ALL
             SELECT ${EVENT_COLUMNS} FROM sc_overflow
             WHERE stream_id = $1 AND key = $2
               AND ($3::float8 IS NULL OR ts >= to_timestamp($3::float8 / 1000.0))
               AND ($4::float8 IS NULL OR ts < to_timestamp($4::float8 / 1000.0))
           ) e ORDER BY ts_ms, seq LIMIT $5`,
    values: [q.streamId, q.key, q.fromTs ?? null, q.toTs ?? null, q.limit],
  });
  return res.rows.map(toStoredEvent);
}

export async function readByPosition(run: HostRun, q: ReadByPositionQuery): Promise<StoredEvent[]> {
  const res = await run<EventRow>("read by position", {
    name: "sc_read_by_position_v2",
    text: `SELECT * FROM (
             (SELECT ${EVENT_COLUMNS} FROM sc_events WHERE stream_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4)
             UNION ALL
             (SELECT ${EVENT_COLUMNS} FROM sc_overflow WHERE stream_id = $1 AND seq > $2 AND seq <= $3 ORDER BY seq LIMIT $4)
           ) e ORDER BY seq LIMIT $4`,
    values: [q.streamId, q.afterSeq, q.maxSeq, q.limit],
  });
  return res.rows.map(toStoredEvent);
}

export async function recentEvents(run: HostRun, streamId: string, limit: number): Promise<StoredEvent[]> {
  const res = await run<EventRow>("recent events", {
    text: `SELECT ${EVENT_COLUMNS} FROM sc_events WHERE stream_id = $1 ORDER BY seq DESC LIMIT $2`,
    values: [streamId, limit],
  });
  return res.rows.map(toStoredEvent);
}

export async function countEvents(run: HostRun, streamId?: string): Promise<number> {
  const res = await run<{ n: number }>("count", {
    text: "SELECT count(*)::float8 AS n FROM sc_events WHERE $1::text IS NULL OR stream_id = $1",
    values: [streamId ?? null],
  });
  return res.rows[0]?.n ?? 0;
}
