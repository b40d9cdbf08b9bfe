import type { ControlDb } from "./client.ts";
import { sql, sqlQuery } from "./sql.ts";
import { num } from "./errors.ts";

/**
 * Sealed shardlets: what a hand-off leaves where the range was written. They take no writes;
 * readers read their host as the range's history (see `loadRoutes`, `historyHostIds`) until the
 * stream's retention has passed since they were sealed, when every row they hold has expired and
 * they retire.
 */

export interface SealedShardlet {
  id: string;
  streamId: string;
  hostId: string;
  lo: number;
  hi: number;
  /** Its fence epoch (the raise that sealed it). */
  epoch: number;
  sizeBytes: number;
  eventCount: number;
  sealedAt: Date;
  /** When the last of its rows expires (sealedAt + the stream's retention). */
  expiresAt: Date;
}

interface SealedRow {
  id: string;
  stream_id: string;
  host_id: string;
  lo: number;
  hi: number;
  epoch: number;
  size_bytes: number;
  event_count: number;
  sealed_at_ms: number;
  expires_at_ms: number;
}

function toSealed(r: SealedRow): SealedShardlet {
  return {
    id: r.id,
    streamId: r.stream_id,
    hostId: r.host_id,
    lo: num(r.lo),
    hi: num(r.hi),
    epoch: r.epoch,
    sizeBytes: num(r.size_bytes),
    eventCount: num(r.event_count),
    sealedAt: new Date(r.sealed_at_ms),
    expiresAt: new Date(r.expires_at_ms),
  };
}

/**
 * Sealed shardlets of a stream (or of a host), oldest seal first. Retention is in hours, possibly
 * fractional, so its interval is built from seconds (`make_interval`'s `hours` takes an integer).
 */
export async function listSealedShardlets(db: ControlDb, filter: { streamId?: string; hostId?: string } = {}): Promise<SealedShardlet[]> {
  // Plain SQL: every drain of a lifecycle job reads it (see sql.ts).
  const rows = await sqlQuery<SealedRow>(
    db,
    sql`
    SELECT id, stream_id, host_id, lo, hi, epoch, size_bytes, event_count, (extract(epoch from sealed_at) * 1000)::float8 AS sealed_at_ms,
           (extract(epoch from expires_at) * 1000)::float8 AS expires_at_ms
    FROM (
      SELECT s.id, s.stream_id, s.host_id, s.lo::float8 AS lo, s.hi::float8 AS hi, s.epoch, s.size_bytes::float8 AS size_bytes,
             s.event_count::float8 AS event_count, coalesce(s.sealed_at, s.updated_at) AS sealed_at,
             coalesce(s.sealed_at, s.updated_at) + make_interval(secs => st.retention_hours * 3600) AS expires_at
      FROM shardlets s JOIN streams st ON st.id = s.stream_id
      WHERE s.state = 'sealed'
        AND (${filter.streamId ?? null}::text IS NULL OR s.stream_id = ${filter.streamId ?? null})
        AND (${filter.hostId ?? null}::text IS NULL OR s.host_id = ${filter.hostId ?? null})
    ) AS x
    ORDER BY sealed_at, id`,
  );
  return rows.map(toSealed);
}

/**
 * Sealed shardlets on any of `hostIds` whose range overlaps [lo, hi) in the stream: history a
 * copying move must not count, verify or delete as the moving shardlet's own rows.
 */
export async function sealedOverlapping(db: ControlDb, q: { streamId: string; lo: number; hi: number; hostIds: readonly string[] }): Promise<SealedShardlet[]> {
  const all = await listSealedShardlets(db, { streamId: q.streamId });
  return all.filter((s) => q.hostIds.includes(s.hostId) && s.lo < q.hi && q.lo < s.hi);
}

/**
 * Retires the sealed shardlets whose stream's retention has passed since they were sealed (all
 * their rows were stored before the seal, so all have expired): readers stop reading their host
 * as history. Returns the retired ones (their host fences and totals are the caller's to drop).
 */
export async function retireExpiredSealedShardlets(db: ControlDb, now: Date): Promise<SealedShardlet[]> {
  const rows = await sqlQuery<SealedRow>(
    db,
    sql`
    WITH due AS (
      SELECT s.id FROM shardlets s JOIN streams st ON st.id = s.stream_id
      WHERE s.state = 'sealed' AND coalesce(s.sealed_at, s.updated_at) + make_interval(secs => st.retention_hours * 3600) <= ${now}::timestamp
      ORDER BY s.id FOR UPDATE OF s
    ), r AS (
      UPDATE shardlets AS s SET state = 'retired', retired_at = ${now}::timestamp, updated_at = ${now}::timestamp
      FROM due, streams st
      WHERE s.id = due.id AND st.id = s.stream_id
      RETURNING s.id, s.stream_id, s.host_id, s.lo, s.hi, s.epoch, s.size_bytes, s.event_count, coalesce(s.sealed_at, ${now}::timestamp) AS sealed_at,
                coalesce(s.sealed_at, ${now}::timestamp) + make_interval(secs => st.retention_hours * 3600) AS expires_at
    )
    SELECT id, stream_id, host_id, lo::float8 AS lo, hi::float8 AS hi, epoch, size_bytes::float8 AS size_bytes, event_count::float8 AS event_count,
           (extract(epoch from sealed_at) * 1000)::float8 AS sealed_at_ms, (extract(epoch from expires_at) * 1000)::float8 AS expires_at_ms
    FROM r`,
  );
  return rows.map(toSealed);
}
