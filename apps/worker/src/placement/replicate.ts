import {
  decideReplication,
  replicaReward,
  replicationContext,
  type LiveReplica,
  type PlacementSettings,
  type ReadMoveTarget,
  type ReplicationCandidate,
  type ReplicationDecision,
} from "@shardcast/core";
import { listHosts, listReplicas, recordOperation, type ShardletInfo } from "@shardcast/db";
import { forgetReplicaServed, readReplicaServed, type PlacementDecisionRecord, type PlacementState } from "@shardcast/runtime";
import type { Redis } from "ioredis";
import { checkAborted } from "../domain/abort.ts";
import { createReadReplica } from "../replicas/create.ts";
import type { ReplicaDeps } from "../replicas/deps.ts";
import { dropReplica, sweepOrphanReplicas } from "../replicas/sync.ts";

export interface ReplicationResult {
  replicated: number;
  dropped: number;
  moved: number;
}

/** The `move` arm, when it may act this run: the moves it may make, and how one is started (`move.ts`). */
export interface MoveArm {
  targets: ReadonlyMap<string, ReadMoveTarget>;
  start: (d: Extract<ReplicationDecision, { arm: "move" }>, s: ShardletInfo, rec: PlacementDecisionRecord) => Promise<boolean>;
}

/**
 * The bandit's replicate arm at one placement run: rewards and drops live replicas, then gives hot
 * shardlets a replica on the active host holding the fewest bytes (never the shardlet's own host),
 * or, where `move` may compete, lets the bandit move one instead (the same hot contexts).
 * Replica rows a cut-short drop or create left on a host are swept first.
 */
export async function runReplication(
  deps: ReplicaDeps,
  c: { redis: Redis; prefix: string; state: PlacementState; settings: PlacementSettings; now: number; actor: string; signal?: AbortSignal },
  hot: ReadonlyArray<ReplicationCandidate & { shardlet: ShardletInfo }>,
  move?: MoveArm,
): Promise<ReplicationResult> {
  const result: ReplicationResult = { replicated: 0, dropped: 0, moved: 0 };
  const hosts = (await listHosts(deps.db)).filter((h) => h.status === "active" && h.retiredAt === null);
  await sweepOrphanReplicas(deps, hosts.map((h) => h.id), c.signal);
  const replicas = (await listReplicas(deps.db)).filter((r) => r.state === "ready");
  const served = await readReplicaServed(c.redis, c.prefix);
  const live: LiveReplica[] = replicas.map((r) => {
    // A replica the state does not know (the state was lost) is learnt about as if no group followed it.
    const known = c.state.replicas[r.id] ?? { context: replicationContext({ groups: 0 }), runs: 0 };
    return { replicaId: r.id, shardletId: r.shardletId, context: known.context, runs: known.runs, servedEvents: served.get(r.id) ?? 0, copiedEvents: r.events };
  });
  // The latest replicate decision of each live replica shows its reward so far (the bandit gets the same value below).
  for (const r of live) {
    if (r.runs === 0) continue;
    const rec = c.state.recent.find((d) => d.shardletId === r.shardletId && d.arm === "replicate");
    if (rec) rec.reward = replicaReward(r.servedEvents, r.copiedEvents);
  }
  const byShardlet = new Map(hot.map((h) => [h.shardletId, h.shardlet]));
  const decisions = decideReplication(c.state.bandit, hot, live, c.settings, { otherHosts: Math.max(0, hosts.length - 1), ...(move ? { moves: move.targets } : {}) });
  const record = (d: { shardletId: string; arm: string; context: string; reason: string }, streamId: string): PlacementDecisionRecord => {
    const rec = { at: c.now, streamId, shardletId: d.shardletId, arm: d.arm, context: d.context, reason: d.reason, reward: null };
    c.state.recent.unshift(rec);
    return rec;
  };
  const dropped = new Set<string>();
  const made = new Set<string>();
  for (const d of decisions) {
    checkAborted(c.signal);
    if (d.arm === "drop") {
      const info = replicas.find((r) => r.id === d.replicaId)!;
      const rec = record(d, info.streamId);
      try {
        await dropReplica(deps, info, d.reason, c.signal ? { signal: c.signal } : {});
        await forgetReplicaServed(c.redis, c.prefix, [info.id]);
        dropped.add(info.id);
        result.dropped++;
        await recordOperation(deps.db, { kind: "placement.unreplicate", streamId: info.streamId, shardletId: info.shardletId, hostId: info.hostId, actor: c.actor, status: "succeeded", message: d.reason, details: { replicaId: info.id } });
      } catch (err) {
        if (c.signal?.aborted) throw err;
        rec.reason += `; failed: ${err instanceof Error ? err.message : String(err)} (the sync job finishes it)`;
        deps.log.warn("placement: replica drop failed", { replicaId: info.id, err });
      }
      continue;
    }
    const s = byShardlet.get(d.shardletId)!;
    const rec = record(d, s.streamId);
    if (d.arm === "leave") continue;
    if (d.arm === "move") {
      if (await move?.start(d, s, rec)) result.moved++;
      continue;
    }
    const taken = new Set(replicas.filter((r) => r.shardletId === s.id).map((r) => r.hostId));
    const target = hosts.filter((h) => h.id !== s.hostId && !taken.has(h.id)).sort((a, b) => a.sizeBytes - b.sizeBytes)[0];
    if (!target) continue;
    try {
      const replica = await createReadReplica(deps, s, target.id, d.reason);
      c.state.replicas[replica.id] = { context: d.context, runs: 0 };
      made.add(replica.id);
      rec.reason += `; on host ${target.name}`;
      result.replicated++;
      await recordOperation(deps.db, { kind: "placement.replicate", streamId: s.streamId, shardletId: s.id, hostId: target.id, actor: c.actor, status: "succeeded", message: rec.reason, details: { replicaId: replica.id, context: d.context } });
    } catch (err) {
      if (c.signal?.aborted) throw err;
      rec.reason += `; failed: ${err instanceof Error ? err.message : String(err)}`;
      deps.log.warn("placement: replica creation failed", { shardletId: s.id, err });
    }
  }
  // Runs lived, for the grace period; replicas that are gone (dropped here or by the sync job) are forgotten.
  const alive = new Set(replicas.map((r) => r.id).filter((id) => !dropped.has(id)));
  for (const [id, r] of Object.entries(c.state.replicas)) {
    if (alive.has(id) || made.has(id)) r.runs++;
    else delete c.state.replicas[id];
  }
  return result;
}
