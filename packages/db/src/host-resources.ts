import type { ControlDb } from "./client.ts";
import { num } from "./errors.ts";
import type { HostDriver } from "./host/driver.ts";

/** A host's PostgreSQL statistics: size now, the rest cumulative since its statistics were reset. */
export interface HostResourceFigures {
  dbSizeBytes: number;
  commits: number;
  /** Rows inserted, updated and deleted. */
  rowsWritten: number;
  blocksRead: number;
  blocksHit: number;
  /** Backends connected to the host's database. */
  connections: number;
  /** WAL bytes the server has written (cumulative, server-wide); null where pg_stat_wal is missing (before PostgreSQL 14). */
  walBytes: number | null;
  /** Time spent reading and writing data blocks (ms, cumulative; 0 unless track_io_timing is on). */
  blockReadTimeMs: number;
  blockWriteTimeMs: number;
  /** Backends of the host's database running a statement now (this probe not counted). */
  activeBackends: number;
  /** Of those, the ones waiting on a lock. */
  lockWaits: number;
}

/** What writers saw on the host over the last complete telemetry interval, from the edges' acks. */
export interface HostWriteFigures {
  loadEventsPerSec: number | null;
  ackLatencyMs: number | null;
}

export interface HostResourceSample extends HostResourceFigures, Partial<HostWriteFigures> {
  hostId: string;
  /** Epoch ms. */
  at: number;
}

/**
 * Reads the figures from the host's own statistics views (any role may read them; pg_stat_activity
 * shows the state of the role's own backends, which are the ones the edges and the worker use).
 */
export async function readHostResources(driver: HostDriver): Promise<HostResourceFigures> {
  return driver.withClient(async (client) => {
    const res = await client.query<{
      size: number;
      commits: number;
      rows_written: number;
      blks_read: number;
      blks_hit: number;
      read_ms: number;
      write_ms: number;
      backends: number;
      active: number;
      lock_waits: number;
      has_wal: boolean;
    }>(
      `SELECT pg_database_size(d.datname)::float8 AS size,
              d.xact_commit::float8 AS commits,
              (d.tup_inserted + d.tup_updated + d.tup_deleted)::float8 AS rows_written,
              d.blks_read::float8 AS blks_read,
              d.blks_hit::float8 AS blks_hit,
              d.blk_read_time::float8 AS read_ms,
              d.blk_write_time::float8 AS write_ms,
              d.numbackends::int AS backends,
              a.active::int AS active,
              a.lock_waits::int AS lock_waits,
              to_regclass('pg_catalog.pg_stat_wal') IS NOT NULL AS has_wal
       FROM pg_stat_database d,
            LATERAL (SELECT count(*) FILTER (WHERE state = 'active') AS active,
                            count(*) FILTER (WHERE state = 'active' AND wait_event_type = 'Lock') AS lock_waits
                     FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()) a
       WHERE d.datname = current_database()`,
    );
    const r = res.rows[0];
    let walBytes: number | null = null;
    if (r?.has_wal) {
      const wal = await client.query<{ bytes: number }>(`SELECT wal_bytes::float8 AS bytes FROM pg_stat_wal`);
      walBytes = wal.rows[0]?.bytes ?? null;
    }
    return {
      dbSizeBytes: r?.size ?? 0,
      commits: r?.commits ?? 0,
      rowsWritten: r?.rows_written ?? 0,
      blocksRead: r?.blks_read ?? 0,
      blocksHit: r?.blks_hit ?? 0,
      connections: r?.backends ?? 0,
      walBytes,
      blockReadTimeMs: r?.read_ms ?? 0,
      blockWriteTimeMs: r?.write_ms ?? 0,
      activeBackends: r?.active ?? 0,
      lockWaits: r?.lock_waits ?? 0,
    };
  });
}

export async function insertHostResourceSamples(db: ControlDb, samples: readonly HostResourceSample[]): Promise<number> {
  if (samples.length === 0) return 0;
  const res = await db.hostResourceSample.createMany({
    data: samples.map((s) => ({
      hostId: s.hostId,
      at: new Date(s.at),
      dbSizeBytes: BigInt(Math.round(s.dbSizeBytes)),
      commits: BigInt(Math.round(s.commits)),
      rowsWritten: BigInt(Math.round(s.rowsWritten)),
      blocksRead: BigInt(Math.round(s.blocksRead)),
      blocksHit: BigInt(Math.round(s.blocksHit)),
      connections: Math.round(s.connections),
      walBytes: s.walBytes === null ? null : BigInt(Math.round(s.walBytes)),
      blockReadTimeMs: s.blockReadTimeMs,
      blockWriteTimeMs: s.blockWriteTimeMs,
      activeBackends: s.activeBackends,
      lockWaits: s.lockWaits,
      loadEventsPerSec: s.loadEventsPerSec ?? null,
      ackLatencyMs: s.ackLatencyMs ?? null,
    })),
  });
  return res.count;
}

/** Samples in [fromMs, toMs), of one host or all, oldest first. */
export async function listHostResourceSamples(
  db: ControlDb,
  q: { hostId?: string; fromMs: number; toMs: number; limit?: number },
): Promise<HostResourceSample[]> {
  const rows = await db.hostResourceSample.findMany({
    where: { ...(q.hostId ? { hostId: q.hostId } : {}), at: { gte: new Date(q.fromMs), lt: new Date(q.toMs) } },
    orderBy: [{ at: "asc" }, { id: "asc" }],
    take: Math.max(1, Math.min(q.limit ?? 10_000, 100_000)),
  });
  return rows.map((r) => ({
    hostId: r.hostId,
    at: r.at.getTime(),
    dbSizeBytes: num(r.dbSizeBytes),
    commits: num(r.commits),
    rowsWritten: num(r.rowsWritten),
    blocksRead: num(r.blocksRead),
    blocksHit: num(r.blocksHit),
    connections: r.connections,
    walBytes: r.walBytes === null ? null : num(r.walBytes),
    blockReadTimeMs: r.blockReadTimeMs ?? 0,
    blockWriteTimeMs: r.blockWriteTimeMs ?? 0,
    activeBackends: r.activeBackends ?? 0,
    lockWaits: r.lockWaits ?? 0,
    loadEventsPerSec: r.loadEventsPerSec,
    ackLatencyMs: r.ackLatencyMs,
  }));
}

/** Retention: deletes samples taken before `beforeMs`. */
export async function deleteHostResourceSamplesBefore(db: ControlDb, beforeMs: number): Promise<number> {
  const res = await db.hostResourceSample.deleteMany({ where: { at: { lt: new Date(beforeMs) } } });
  return res.count;
}
