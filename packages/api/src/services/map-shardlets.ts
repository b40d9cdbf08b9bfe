import { isRoutedState, type ShardletState } from "@shardcast/core";
import type { ControlDb } from "@shardcast/db";

/**
 * Shardlets with what the shard map shows beyond the routing fields: fallback counts and lineage.
 * Read straight from the control database, since `listShardlets` returns neither.
 */
export interface MapShardlet {
  id: string;
  streamId: string;
  shardId: string;
  hostId: string;
  lo: number;
  hi: number;
  state: ShardletState;
  epoch: number;
  capacityBytes: number;
  sizeBytes: number;
  eventCount: number;
  writeRate: number;
  fallbackCount: number;
  parentId: string | null;
  mergedFromId: string | null;
  createdAt: Date;
  retiredAt: Date | null;
}

/** A parent's identity and range, so lineage reads "split from 0x…–0x…" even after it retired. */
export interface LineageRef {
  id: string;
  lo: number;
  hi: number;
  state: ShardletState;
}

export async function listMapShardlets(
  db: ControlDb,
  filter: { streamId?: string; includeRetired: boolean },
): Promise<{ shardlets: MapShardlet[]; parents: Map<string, LineageRef> }> {
  const rows = await db.shardlet.findMany({
    where: {
      ...(filter.streamId ? { streamId: filter.streamId } : {}),
      ...(filter.includeRetired ? {} : { state: { not: "retired" as const } }),
    },
    orderBy: [{ streamId: "asc" }, { lo: "asc" }, { createdAt: "asc" }],
  });
  const shardlets: MapShardlet[] = rows.map((r) => ({
    id: r.id,
    streamId: r.streamId,
    shardId: r.shardId,
    hostId: r.hostId,
    lo: Number(r.lo),
    hi: Number(r.hi),
    state: r.state,
    epoch: r.epoch,
    capacityBytes: Number(r.capacityBytes),
    sizeBytes: Number(r.sizeBytes),
    eventCount: Number(r.eventCount),
    writeRate: r.writeRate,
    fallbackCount: Number(r.fallbackCount),
    parentId: r.parentId,
    mergedFromId: r.mergedFromId,
    createdAt: r.createdAt,
    retiredAt: r.retiredAt,
  }));

  const parents = new Map<string, LineageRef>();
  for (const s of shardlets) parents.set(s.id, { id: s.id, lo: s.lo, hi: s.hi, state: s.state });
  const missing = [...new Set(shardlets.flatMap((s) => [s.parentId, s.mergedFromId]).filter((id): id is string => id !== null && !parents.has(id)))];
  if (missing.length > 0) {
    const found = await db.shardlet.findMany({ where: { id: { in: missing } }, select: { id: true, lo: true, hi: true, state: true } });
    for (const p of found) parents.set(p.id, { id: p.id, lo: Number(p.lo), hi: Number(p.hi), state: p.state });
  }
  return { shardlets, parents };
}

/**
 * For each active shardlet, the id of its right-hand neighbour when the two may merge: adjacent
 * ranges, same shard, same host, both active.
 */
export function mergeableRightNeighbours(shardlets: readonly MapShardlet[]): Map<string, string> {
  const byStart = new Map<string, MapShardlet>();
  for (const s of shardlets) if (isRoutedState(s.state)) byStart.set(`${s.streamId}:${s.lo}`, s);
  const out = new Map<string, string>();
  for (const s of shardlets) {
    if (s.state !== "active") continue;
    const right = byStart.get(`${s.streamId}:${s.hi}`);
    if (right && right.state === "active" && right.shardId === s.shardId && right.hostId === s.hostId) out.set(s.id, right.id);
  }
  return out;
}
