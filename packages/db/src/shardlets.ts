import { UNROUTED_STATES, type FencedShardlet, type ShardletState } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { num } from "./errors.ts";
import type { Shardlet as ShardletRow } from "./generated/prisma/client.ts";
import { msOf, sqlRows } from "./sql.ts";

/**
 * Control-database shardlet rows looked up by id (retired and pending ones included): single rows
 * for the jobs that change them, ranges for labels, lineage for the analyzer.
 */

export type { ShardletRow };

/** A shardlet row with the home host of its shard (where the shard's overflow log lives). */
export type ShardletWithHome = ShardletRow & { shard: { homeHostId: string } };

export async function getShardletRow(db: ControlDb, id: string): Promise<ShardletRow | null> {
  return db.shardlet.findUnique({ where: { id } });
}

/** Every column of a shardlet row as text or numbers (bigints as text, times as epoch ms), with its shard's home host. */
const WITH_HOME_COLUMNS =
  `s.id, s.stream_id AS "streamId", s.shard_id AS "shardId", s.lo::text AS lo, s.hi::text AS hi, s.host_id AS "hostId", s.state::text AS state, ` +
  `s.capacity_bytes::text AS "capacityBytes", s.size_bytes::text AS "sizeBytes", s.event_count::text AS "eventCount", s.write_rate AS "writeRate", ` +
  `s.read_rate AS "readRate", s.epoch, s.fallback_count::text AS "fallbackCount", s.overflow_pending AS "overflowPending", s.parent_id AS "parentId", ` +
  `s.merged_from_id AS "mergedFromId", ${msOf("s.created_at")} AS "createdAt", ${msOf("s.updated_at")} AS "updatedAt", ${msOf("s.retired_at")} AS "retiredAt", ` +
  `${msOf("s.sealed_at")} AS "sealedAt", sh.home_host_id AS "homeHostId"`;

type WithHomeRow = Omit<ShardletRow, "lo" | "hi" | "capacityBytes" | "sizeBytes" | "eventCount" | "fallbackCount" | "createdAt" | "updatedAt" | "retiredAt" | "sealedAt"> & {
  lo: string;
  hi: string;
  capacityBytes: string;
  sizeBytes: string;
  eventCount: string;
  fallbackCount: string;
  createdAt: number;
  updatedAt: number;
  retiredAt: number | null;
  sealedAt: number | null;
  homeHostId: string;
};

function withHome(r: WithHomeRow): ShardletWithHome {
  const { homeHostId, ...row } = r;
  return {
    ...row,
    lo: BigInt(r.lo),
    hi: BigInt(r.hi),
    capacityBytes: BigInt(r.capacityBytes),
    sizeBytes: BigInt(r.sizeBytes),
    eventCount: BigInt(r.eventCount),
    fallbackCount: BigInt(r.fallbackCount),
    createdAt: new Date(r.createdAt),
    updatedAt: new Date(r.updatedAt),
    retiredAt: r.retiredAt === null ? null : new Date(r.retiredAt),
    sealedAt: r.sealedAt === null ? null : new Date(r.sealedAt),
    shard: { homeHostId },
  };
}

/** Plain SQL (the same row Prisma's `findUnique` gives): read by every migration run, hand-offs included, as it starts (see sql.ts). */
export async function getShardletWithHome(db: ControlDb, id: string): Promise<ShardletWithHome | null> {
  const [row] = await listShardletsWithHome(db, [id]);
  return row ?? null;
}

/** The rows of `ids` that exist, in no particular order. */
export async function listShardletsWithHome(db: ControlDb, ids: readonly string[]): Promise<ShardletWithHome[]> {
  const rows = await sqlRows<WithHomeRow>(db, `SELECT ${WITH_HOME_COLUMNS} FROM shardlets s JOIN shards sh ON sh.id = s.shard_id WHERE s.id = ANY($1::text[])`, [[...ids]]);
  return rows.map(withHome);
}

/** Where a shardlet lives and at which epoch: what a mover checks under the shardlet's op-lock. */
export async function getShardletPlacement(db: ControlDb, id: string): Promise<{ state: ShardletState; epoch: number; hostId: string } | null> {
  const [row] = await sqlRows<{ state: ShardletState; epoch: number; hostId: string }>(
    db,
    `SELECT state::text AS state, epoch, host_id AS "hostId" FROM shardlets WHERE id = $1`,
    [id],
  );
  return row ?? null;
}

/** What a split, merge or hand-off reads of its sources, with their shard's home host (its overflow log). */
export interface LifecycleSourceRow extends FencedShardlet {
  writeRate: number;
  homeHostId: string;
}

/**
 * The rows of `ids` that exist, in no particular order. Plain SQL: read by every lifecycle job
 * while its sources are op-locked (see sql.ts).
 */
export async function listLifecycleSources(db: ControlDb, ids: readonly string[]): Promise<LifecycleSourceRow[]> {
  return sqlRows<LifecycleSourceRow>(
    db,
    `SELECT s.id, s.stream_id AS "streamId", s.shard_id AS "shardId", s.lo::float8 AS lo, s.hi::float8 AS hi, s.host_id AS "hostId",
            s.state::text AS state, s.epoch, s.write_rate AS "writeRate", sh.home_host_id AS "homeHostId"
     FROM shardlets s JOIN shards sh ON sh.id = s.shard_id WHERE s.id = ANY($1::text[])`,
    [[...ids]],
  );
}

export interface ShardletRange {
  id: string;
  streamId: string;
  lo: number;
  hi: number;
  state: ShardletState;
}

/** Ranges of the shardlets named (retired ones included), for labels such as "0x… → 0x…". */
export async function listShardletRanges(db: ControlDb, ids: readonly string[]): Promise<ShardletRange[]> {
  if (ids.length === 0) return [];
  const rows = await db.shardlet.findMany({
    where: { id: { in: [...new Set(ids)] } },
    select: { id: true, streamId: true, lo: true, hi: true, state: true },
  });
  return rows.map((r) => ({ ...r, lo: num(r.lo), hi: num(r.hi) }));
}

export interface ShardletLineage {
  id: string;
  parentId: string | null;
  /** Right-hand parent of a merged shardlet. */
  mergedFromId: string | null;
  createdAt: Date;
}

export async function listShardletLineage(db: ControlDb, ids: readonly string[]): Promise<ShardletLineage[]> {
  return db.shardlet.findMany({
    where: { id: { in: [...new Set(ids)] } },
    select: { id: true, parentId: true, mergedFromId: true, createdAt: true },
  });
}

/** Shardlets of a stream that take writes (not retired, pending or sealed). */
export async function countLiveShardlets(db: ControlDb, streamId: string): Promise<number> {
  // Plain SQL: every planned split reads it (see sql.ts).
  const [row] = await sqlRows<{ n: number }>(db, "SELECT count(*)::int AS n FROM shardlets WHERE stream_id = $1 AND state::text <> ALL($2::text[])", [
    streamId,
    [...UNROUTED_STATES],
  ]);
  return row?.n ?? 0;
}
