import { UNROUTED_STATES, type ShardletRoute, type ShardRange } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { num } from "./errors.ts";
import { sql, sqlQuery } from "./sql.ts";
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

/** Migration phases in which writers shadow-write to the destination and readers also read there. */
export const SHADOW_MIGRATION_PHASES = ["copying", "verifying", "switching"] as const;

/** A route as the route queries select it (see loadRoutes). */
export interface RouteRow {
  id: string;
  stream_id: string;
  shard_id: string;
  lo: number;
  hi: number;
  host_id: string;
  epoch: number;
  state: ShardletRoute["state"];
  shadow_host_id: string | null;
  replicas: Array<{ id: string; hostId: string; verifiedSeq: number }> | null;
  overflow_pending: boolean;
  history_host_ids: string[] | null;
}

/**
 * The routed (not pending, sealed or retired) shardlets of a stream in hash order: what the router
 * builds its table from. A shardlet being migrated (copying, verifying, or switching before its
 * mapping moved) carries its destination as `shadowHostId`; one whose range has history on other
 * hosts (sealed predecessors left by hand-offs) carries those hosts as `historyHostIds`. One statement, so a route's epoch and shadow
 * host come from the same snapshot: the mover raises the epoch in the transaction that starts the
 * copy, so a writer that holds the new epoch also knows the shadow host. With `only`, the routes of
 * those shardlets alone (the ones a change touched, sent with its announcement).
 */
export async function loadRoutes(db: ControlDb, streamId: string, only?: readonly string[]): Promise<ShardletRoute[]> {
  const phases = [...SHADOW_MIGRATION_PHASES];
  // Plain SQL: every edge reloads a stream's routes on first use, after a fence rejection, on its
  // periodic refresh and for announcements without routes (see sql.ts).
  const rows = await sqlQuery<RouteRow>(
    db,
    sql`
    SELECT s.id, s.stream_id, s.shard_id, s.lo::float8 AS lo, s.hi::float8 AS hi, s.host_id, s.epoch, s.state::text AS state, m.dest_host_id AS shadow_host_id, rp.replicas, s.overflow_pending,
           (SELECT array_agg(DISTINCT h.host_id ORDER BY h.host_id) FROM shardlets h
            WHERE h.stream_id = s.stream_id AND h.state = 'sealed' AND h.host_id <> s.host_id AND h.lo < s.hi AND s.lo < h.hi) AS history_host_ids
    FROM shardlets s
    LEFT JOIN (
      SELECT DISTINCT ON (shardlet_id) shardlet_id, source_host_id, dest_host_id
      FROM migrations WHERE stream_id = ${streamId} AND phase = ANY(${phases}::text[])
      ORDER BY shardlet_id, created_at DESC
    ) m ON m.shardlet_id = s.id AND m.source_host_id = s.host_id
    LEFT JOIN (
      SELECT shardlet_id, source_host_id, epoch,
             json_agg(json_build_object('id', id, 'hostId', host_id, 'verifiedSeq', verified_seq::float8) ORDER BY id) AS replicas
      FROM shardlet_replicas WHERE stream_id = ${streamId} AND state = 'ready' AND verified_seq > 0
      GROUP BY shardlet_id, source_host_id, epoch
    ) rp ON rp.shardlet_id = s.id AND rp.source_host_id = s.host_id AND rp.epoch = s.epoch
    WHERE s.stream_id = ${streamId} AND s.state NOT IN ('retired', 'pending', 'sealed') AND (${only ? [...only] : null}::text[] IS NULL OR s.id = ANY(${only ? [...only] : null}::text[]))
    ORDER BY s.lo`,
  );
  return rows.map(routeOfRow);
}

export function routeOfRow(r: RouteRow): ShardletRoute {
  return {
    id: r.id,
    streamId: r.stream_id,
    shardId: r.shard_id,
    lo: num(r.lo),
    hi: num(r.hi),
    hostId: r.host_id,
    epoch: r.epoch,
    state: r.state,
    shadowHostId: r.shadow_host_id,
    ...(r.replicas ? { replicas: r.replicas } : {}),
    ...(r.overflow_pending ? { overflowPending: true } : {}),
    ...(r.history_host_ids && r.history_host_ids.length > 0 ? { historyHostIds: r.history_host_ids } : {}),
  };
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
  // Locked in id order first, like every multi-row shardlet update (see writeShardletFigures).
  return db.$executeRaw`
    WITH l AS MATERIALIZED (SELECT id FROM shardlets WHERE id = ANY(${ids}::text[]) ORDER BY id FOR UPDATE)
    UPDATE shardlets AS s SET event_count = t.events, size_bytes = t.bytes
    FROM l, unnest(${ids}::text[], ${events}::bigint[], ${bytes}::bigint[]) AS t(id, events, bytes)
    WHERE s.id = l.id AND t.id = l.id`;
}

export interface ShardletLoad {
  id: string;
  sizeBytes: number;
  capacityBytes: number;
}

/** Size and capacity of a stream's routed shardlets (edges use it to notice threshold crossings). */
export async function loadShardletLoads(db: ControlDb, streamId: string): Promise<ShardletLoad[]> {
  const rows = await db.shardlet.findMany({
    where: { streamId, state: { notIn: [...UNROUTED_STATES] } },
    select: { id: true, sizeBytes: true, capacityBytes: true },
  });
  return rows.map((r) => ({ id: r.id, sizeBytes: num(r.sizeBytes), capacityBytes: num(r.capacityBytes) }));
}
