import { isRoutedState, type ShardletState } from "@shardcast/core";
import { listShardletRanges, listShardlets, type ControlDb, type ShardletInfo } from "@shardcast/db";

/** The shard map's rows: every shardlet with its figures and lineage. */
export type MapShardlet = ShardletInfo;

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
  const shardlets = await listShardlets(db, filter);

  const parents = new Map<string, LineageRef>();
  for (const s of shardlets) parents.set(s.id, { id: s.id, lo: s.lo, hi: s.hi, state: s.state });
  const missing = [...new Set(shardlets.flatMap((s) => [s.parentId, s.mergedFromId]).filter((id): id is string => id !== null && !parents.has(id)))];
  if (missing.length > 0) {
    const found = await listShardletRanges(db, missing);
    for (const p of found) parents.set(p.id, { id: p.id, lo: p.lo, hi: p.hi, state: p.state });
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
