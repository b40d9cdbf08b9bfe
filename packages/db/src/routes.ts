import type { ShardletRoute, ShardRange } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { num } from "./errors.ts";
import type { Shardlet as ShardletRow } from "./generated/prisma/client.ts";
import type { ShardletTotals } from "./host/types.ts";

export interface ShardletInfo extends ShardletRoute {
  capacityBytes: number;
  sizeBytes: number;
  eventCount: number;
  writeRate: number;
  readRate: number;
  /** Events that reached this shardlet through its shard's overflow log. */
  fallbackCount: number;
  parentId: string | null;
  /** Right-hand parent of a merged shardlet. */
  mergedFromId: string | null;
  createdAt: Date;
  updatedAt: Date;
  retiredAt: Date | null;
}

function toRoute(r: Pick<ShardletRow, "id" | "streamId" | "shardId" | "lo" | "hi" | "hostId" | "epoch" | "state">): ShardletRoute {
  return {
    id: r.id,
    streamId: r.streamId,
    shardId: r.shardId,
    lo: num(r.lo),
    hi: num(r.hi),
    hostId: r.hostId,
    epoch: r.epoch,
    state: r.state,
  };
}

function toShardletInfo(r: ShardletRow): ShardletInfo {
  return {
    ...toRoute(r),
    capacityBytes: num(r.capacityBytes),
    sizeBytes: num(r.sizeBytes),
    eventCount: num(r.eventCount),
    writeRate: r.writeRate,
    readRate: r.readRate,
    fallbackCount: num(r.fallbackCount),
    parentId: r.parentId,
    mergedFromId: r.mergedFromId,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    retiredAt: r.retiredAt,
  };
}

/** The routed (not pending or retired) shardlets of a stream in hash order: what the router builds its table from. */
export async function loadRoutes(db: ControlDb, streamId: string): Promise<ShardletRoute[]> {
  const rows = await db.shardlet.findMany({
    where: { streamId, state: { notIn: ["retired", "pending"] } },
    orderBy: { lo: "asc" },
    select: { id: true, streamId: true, shardId: true, lo: true, hi: true, hostId: true, epoch: true, state: true },
  });
  return rows.map(toRoute);
}

export async function listShardlets(
  db: ControlDb,
  filter: { streamId?: string; hostId?: string; includeRetired?: boolean } = {},
): Promise<ShardletInfo[]> {
  const rows = await db.shardlet.findMany({
    where: {
      ...(filter.streamId ? { streamId: filter.streamId } : {}),
      ...(filter.hostId ? { hostId: filter.hostId } : {}),
      ...(filter.includeRetired ? {} : { state: { not: "retired" as const } }),
    },
    orderBy: [{ streamId: "asc" }, { lo: "asc" }, { createdAt: "asc" }],
  });
  return rows.map(toShardletInfo);
}

export async function listShards(db: ControlDb, streamId: string): Promise<ShardRange[]> {
  const rows = await db.shard.findMany({ where: { streamId }, orderBy: { index: "asc" } });
  return rows.map((r) => ({ id: r.id, streamId: r.streamId, index: r.index, lo: num(r.lo), hi: num(r.hi), homeHostId: r.homeHostId }));
}

/**
 * Copies host totals (from `HostDriver.foldStats`) onto the shardlet rows in one statement.
 * Totals of shardlets unknown to the control database are ignored. Returns the rows updated.
 */
export async function applyShardletTotals(db: ControlDb, totals: readonly ShardletTotals[]): Promise<number> {
  if (totals.length === 0) return 0;
  const ids = totals.map((t) => t.shardletId);
  const events = totals.map((t) => Math.round(t.events));
  const bytes = totals.map((t) => Math.round(t.bytes));
  return db.$executeRaw`
    UPDATE shardlets AS s SET event_count = t.events, size_bytes = t.bytes
    FROM unnest(${ids}::text[], ${events}::bigint[], ${bytes}::bigint[]) AS t(id, events, bytes)
    WHERE s.id = t.id`;
}

export interface ShardletLoad {
  id: string;
  sizeBytes: number;
  capacityBytes: number;
}

/** Size and capacity of a stream's routed shardlets (edges use it to notice threshold crossings). */
export async function loadShardletLoads(db: ControlDb, streamId: string): Promise<ShardletLoad[]> {
  const rows = await db.shardlet.findMany({
    where: { streamId, state: { notIn: ["retired", "pending"] } },
    select: { id: true, sizeBytes: true, capacityBytes: true },
  });
  return rows.map((r) => ({ id: r.id, sizeBytes: num(r.sizeBytes), capacityBytes: num(r.capacityBytes) }));
}
