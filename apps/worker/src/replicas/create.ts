import { ShardcastError, type FencedShardlet } from "@shardcast/core";
import { createReplica, createReplicaRecord, listReplicas, type ReplicaInfo } from "@shardcast/db";
import type { ReplicaDeps } from "./deps.ts";

/**
 * Makes a read replica of a shardlet on another host: the control database's record first, then
 * the host's (empty, verified at 0, so no reader uses it). The sync job fills it; edges read it
 * once it is verified past their position. A host row without its record is an orphan the
 * placement job sweeps, so the record must come first.
 */
export async function createReadReplica(deps: ReplicaDeps, s: FencedShardlet, hostId: string, reason: string): Promise<ReplicaInfo> {
  if (s.state !== "active") throw new ShardcastError("conflict", `shardlet ${s.id} is ${s.state}: only an active shardlet gets a replica`);
  if (hostId === s.hostId) throw new ShardcastError("bad_request", `host ${hostId} already holds shardlet ${s.id}`);
  const existing = await listReplicas(deps.db, { shardletId: s.id });
  if (existing.some((r) => r.hostId === hostId)) throw new ShardcastError("conflict", `shardlet ${s.id} already has a replica on host ${hostId}`);
  const record = await createReplicaRecord(deps.db, { streamId: s.streamId, shardletId: s.id, hostId, sourceHostId: s.hostId, epoch: s.epoch, lo: s.lo, hi: s.hi, reason });
  await createReplica(await deps.hosts.get(hostId), { replicaId: record.id, streamId: s.streamId, lo: s.lo, hi: s.hi });
  deps.log.info("read replica created", { replicaId: record.id, shardletId: s.id, hostId, reason });
  return record;
}
