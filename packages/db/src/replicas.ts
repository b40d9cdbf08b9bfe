import type { ControlDb } from "./client.ts";
import { num } from "./errors.ts";
import type { ShardletReplica as ReplicaRow } from "./generated/prisma/client.ts";

/** The control database's record of a read replica (its rows live on `hostId`, see host/replica.ts). */
export interface ReplicaInfo {
  id: string;
  streamId: string;
  shardletId: string;
  hostId: string;
  sourceHostId: string;
  epoch: number;
  lo: number;
  hi: number;
  /** ready: synced and routed to readers | dropping: being deleted, no longer routed. */
  state: "ready" | "dropping";
  verifiedSeq: number;
  events: number;
  bytes: number;
  reason: string;
  createdAt: Date;
  updatedAt: Date;
}

function toInfo(r: ReplicaRow): ReplicaInfo {
  return {
    id: r.id,
    streamId: r.streamId,
    shardletId: r.shardletId,
    hostId: r.hostId,
    sourceHostId: r.sourceHostId,
    epoch: r.epoch,
    lo: num(r.lo),
    hi: num(r.hi),
    state: r.state === "dropping" ? "dropping" : "ready",
    verifiedSeq: num(r.verifiedSeq),
    events: num(r.events),
    bytes: num(r.bytes),
    reason: r.reason,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
  };
}

export async function createReplicaRecord(
  db: ControlDb,
  r: { streamId: string; shardletId: string; hostId: string; sourceHostId: string; epoch: number; lo: number; hi: number; reason: string },
): Promise<ReplicaInfo> {
  const row = await db.shardletReplica.create({
    data: { streamId: r.streamId, shardletId: r.shardletId, hostId: r.hostId, sourceHostId: r.sourceHostId, epoch: r.epoch, lo: BigInt(r.lo), hi: BigInt(r.hi), reason: r.reason },
  });
  return toInfo(row);
}

export async function listReplicas(db: ControlDb, filter: { streamId?: string; shardletId?: string } = {}): Promise<ReplicaInfo[]> {
  const rows = await db.shardletReplica.findMany({
    where: { ...(filter.streamId ? { streamId: filter.streamId } : {}), ...(filter.shardletId ? { shardletId: filter.shardletId } : {}) },
    orderBy: [{ streamId: "asc" }, { lo: "asc" }, { createdAt: "asc" }],
  });
  return rows.map(toInfo);
}

/**
 * Records a sync's progress: the replica's events and bytes at `verifiedSeq`. A slower syncer that
 * reports an older position changes nothing, so the counts stay those of the verified position.
 */
export async function recordReplicaProgress(db: ControlDb, id: string, p: { verifiedSeq: number; events: number; bytes: number }): Promise<void> {
  await db.$executeRaw`
    UPDATE shardlet_replicas SET verified_seq = ${p.verifiedSeq}::bigint, events = ${p.events}::bigint, bytes = ${p.bytes}::bigint, updated_at = now()
    WHERE id = ${id} AND state = 'ready' AND verified_seq <= ${p.verifiedSeq}::bigint`;
}

/** Stops routing readers to a replica (its rows are deleted next). Returns false when it was already gone. */
export async function markReplicaDropping(db: ControlDb, id: string, reason: string): Promise<boolean> {
  const n = await db.shardletReplica.updateMany({ where: { id }, data: { state: "dropping", reason } });
  return n.count > 0;
}

export async function deleteReplicaRecord(db: ControlDb, id: string): Promise<void> {
  await db.shardletReplica.deleteMany({ where: { id } });
}
