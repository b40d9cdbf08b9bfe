import { UNROUTED_STATES, type ShardletState } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { num } from "./errors.ts";
import type { Shardlet as ShardletRow } from "./generated/prisma/client.ts";

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

export async function getShardletWithHome(db: ControlDb, id: string): Promise<ShardletWithHome | null> {
  return db.shardlet.findUnique({ where: { id }, include: { shard: { select: { homeHostId: true } } } });
}

/** The rows of `ids` that exist, in no particular order. */
export async function listShardletsWithHome(db: ControlDb, ids: readonly string[]): Promise<ShardletWithHome[]> {
  return db.shardlet.findMany({ where: { id: { in: [...ids] } }, include: { shard: { select: { homeHostId: true } } } });
}

/** Where a shardlet lives and at which epoch: what a mover checks under the shardlet's op-lock. */
export async function getShardletPlacement(db: ControlDb, id: string): Promise<{ state: ShardletState; epoch: number; hostId: string } | null> {
  return db.shardlet.findUnique({ where: { id }, select: { state: true, epoch: true, hostId: true } });
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
  return db.shardlet.count({ where: { streamId, state: { notIn: [...UNROUTED_STATES] } } });
}
