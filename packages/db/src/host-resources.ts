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
}

export interface HostResourceSample extends HostResourceFigures {
  hostId: string;
  /** Epoch ms. */
  at: number;
}

/** Reads the figures from the host's own statistics views (one query, any role may read them). */
export async function readHostResources(driver: HostDriver): Promise<HostResourceFigures> {
  return driver.withClient(async (client) => {
    const res = await client.query<{ size: number; commits: number; rows_written: number; blks_read: number; blks_hit: number; backends: number }>(
      `SELECT pg_database_size(d.datname)::float8 AS size,
              d.xact_commit::float8 AS commits,
              (d.tup_inserted + d.tup_updated + d.tup_deleted)::float8 AS rows_written,
              d.blks_read::float8 AS blks_read,
              d.blks_hit::float8 AS blks_hit,
              d.numbackends::int AS backends
       FROM pg_stat_database d WHERE d.datname = current_database()`,
    );
    const r = res.rows[0];
    return {
      dbSizeBytes: r?.size ?? 0,
      commits: r?.commits ?? 0,
      rowsWritten: r?.rows_written ?? 0,
      blocksRead: r?.blks_read ?? 0,
      blocksHit: r?.blks_hit ?? 0,
      connections: r?.backends ?? 0,
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
  }));
}

/** Retention: deletes samples taken before `beforeMs`. */
export async function deleteHostResourceSamplesBefore(db: ControlDb, beforeMs: number): Promise<number> {
  const res = await db.hostResourceSample.deleteMany({ where: { at: { lt: new Date(beforeMs) } } });
  return res.count;
}
