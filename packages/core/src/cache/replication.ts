import type { PlacementArm, PlacementBandit } from "./bandit.ts";
import { leaveReason, type PlacementSettings } from "./placement.ts";
import { readMoveReason, type ReadMoveTarget } from "./read-move.ts";

/**
 * The placement bandit's `replicate` arm: a read replica for a shardlet that consumers read hard,
 * on another host, so their range reads spread over two hosts. Learnt per context like archive,
 * in contexts of its own (hot shardlets only), against `leave` at its known value.
 *
 * Reward: the replica's events served over served + copied, since it was made. Served and copied
 * events have the same size on average, so this is bytes read from the replica per byte spent on
 * it, mapped into [0, 1]: a replica that served as much as it cost earns 0.5, one nobody read 0.
 */

/** What the placement job measures of a hot shardlet. */
export interface ReplicationCandidate {
  shardletId: string;
  /** Events read per second over the last window. */
  readsPerSec: number;
  groups: number;
}

/** A replica as the job sees it at a run. */
export interface LiveReplica {
  replicaId: string;
  shardletId: string;
  context: string;
  /** Runs since it was made (0 at the run that made it). */
  runs: number;
  /** Events it served on every edge, and events copied into it, since it was made. */
  servedEvents: number;
  copiedEvents: number;
}

export function replicationContext(c: Pick<ReplicationCandidate, "groups">): string {
  return `reads:hot groups:${c.groups > 0 ? "some" : "none"}`;
}

export function replicaReward(servedEvents: number, copiedEvents: number): number {
  const total = servedEvents + copiedEvents;
  return total <= 0 ? 0 : Math.min(1, Math.max(0, servedEvents / total));
}

/** Runs a replica is given before it must earn its keep (the first copy costs before reads arrive). */
export const REPLICA_GRACE_RUNS = 3;

export type ReplicationDecision =
  | { arm: "replicate" | "leave"; shardletId: string; context: string; reason: string }
  | { arm: "move"; shardletId: string; context: string; reason: string; target: ReadMoveTarget }
  | { arm: "drop"; replicaId: string; shardletId: string; context: string; reason: string };

/**
 * One run's replication decisions. Every live replica is rewarded with its reward so far; one that
 * has had its grace runs and still earns less than `leave`, or whose shardlet is read at less than
 * half the threshold, is dropped. Each hot shardlet without a replica pulls replicate or leave,
 * while the cluster has room (`maxReplicas`) and another host to put it on, and `move` too when
 * `opts.moves` has a move for it (`read-move.ts`), up to `maxReadMovesPerRun`. Moves of one run
 * touch distinct hosts: each changes the read loads the next was weighed on.
 */
export function decideReplication(
  bandit: PlacementBandit,
  candidates: readonly ReplicationCandidate[],
  live: readonly LiveReplica[],
  settings: PlacementSettings,
  opts: { otherHosts: number; moves?: ReadonlyMap<string, ReadMoveTarget> },
): ReplicationDecision[] {
  const out: ReplicationDecision[] = [];
  const rate = new Map(candidates.map((c) => [c.shardletId, c.readsPerSec]));
  let kept = 0;
  for (const r of live) {
    const reward = replicaReward(r.servedEvents, r.copiedEvents);
    if (r.runs > 0) bandit.reward(r.context, "replicate", reward);
    // A shardlet not measured this run (its host did not answer) is not called cold.
    const readsPerSec = rate.get(r.shardletId);
    const why =
      settings.maxReplicas === 0
        ? "replicas are turned off"
        : readsPerSec !== undefined && readsPerSec < settings.replicaMinReadsPerSec / 2
          ? `read at ${readsPerSec.toFixed(1)} events/s, under half the ${settings.replicaMinReadsPerSec} events/s that made it hot`
          : r.runs >= REPLICA_GRACE_RUNS && reward < settings.leaveReward
            ? `served ${r.servedEvents} events for ${r.copiedEvents} copied: reward ${reward.toFixed(2)} is below the bar ${settings.leaveReward}`
            : null;
    if (why) out.push({ arm: "drop", replicaId: r.replicaId, shardletId: r.shardletId, context: r.context, reason: `drop replica: ${why}` });
    else kept++;
  }
  if (opts.otherHosts === 0) return out;
  const replicated = new Set(live.map((r) => r.shardletId));
  const hot = candidates.filter((c) => c.readsPerSec >= settings.replicaMinReadsPerSec && !replicated.has(c.shardletId)).sort((a, b) => b.readsPerSec - a.readsPerSec);
  let moved = 0;
  const movedHosts = new Set<string>();
  for (const c of hot) {
    const move = opts.moves?.get(c.shardletId);
    const canMove = move !== undefined && moved < settings.maxReadMovesPerRun && !movedHosts.has(move.sourceHostId) && !movedHosts.has(move.destHostId);
    const canReplicate = kept < settings.maxReplicas;
    if (!canReplicate && !canMove) continue;
    const context = replicationContext(c);
    const allowed: PlacementArm[] = [...(canReplicate ? (["replicate"] as const) : []), ...(canMove ? (["move"] as const) : []), "leave"];
    const arm = bandit.choose(context, allowed);
    const values = bandit.values(context);
    const v = values.replicate;
    if (arm === "leave") {
      bandit.reward(context, "leave", settings.leaveReward);
      out.push({ arm, shardletId: c.shardletId, context, reason: leaveReason(values, allowed.filter((a) => a !== "leave"), context) });
      continue;
    }
    if (arm === "move" && move) {
      moved++;
      movedHosts.add(move.sourceHostId).add(move.destHostId);
      const m = values.move;
      const why = m.pulls === 0 ? "not tried yet" : `mean ${m.mean.toFixed(2)} over ${m.pulls} rewards, bound ${m.ucb?.toFixed(2) ?? "none"}`;
      out.push({ arm, shardletId: c.shardletId, context, target: move, reason: `move: read at ${c.readsPerSec.toFixed(1)} events/s, ${readMoveReason(move)}; in ${context} move is ${why}` });
      continue;
    }
    kept++;
    const why = v.pulls === 0 ? "not tried yet" : `mean ${v.mean.toFixed(2)} over ${v.pulls} rewards, bound ${v.ucb?.toFixed(2) ?? "none"}`;
    out.push({ arm: "replicate", shardletId: c.shardletId, context, reason: `replicate: read at ${c.readsPerSec.toFixed(1)} events/s; in ${context} replicate is ${why}` });
  }
  return out;
}
