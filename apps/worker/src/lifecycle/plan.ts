import { chooseSplitPoint } from "@shardcast/core";
import {
  countLiveShardlets,
  createLifecycleJob,
  getLifecycleSettings,
  keyHashMedian,
  listLifecycleSources,
  migratingShardletIds,
  type LifecycleJobInfo,
} from "@shardcast/db";
import type { WorkerDeps } from "../deps.ts";
import { mergeProblem, newShardletId, toSourceShardlet, type SourceShardlet } from "./shape.ts";

/** A persisted job to run, or why there is nothing to do. */
export type PlanOutcome = { job: LifecycleJobInfo; created: boolean } | { skipped: string };

async function loadShardlet(deps: WorkerDeps, id: string): Promise<SourceShardlet | null> {
  const [r] = await listLifecycleSources(deps.db, [id]);
  return r ? toSourceShardlet(r) : null;
}

async function liveCount(deps: WorkerDeps, streamId: string): Promise<number> {
  return countLiveShardlets(deps.db, streamId);
}

/** When a job already changes one of the sources, resume it only if it is this very change. */
function existingOutcome(job: LifecycleJobInfo, kind: "split" | "merge", sourceIds: readonly string[]): PlanOutcome {
  const same = job.kind === kind && job.sourceIds.length === sourceIds.length && job.sourceIds.every((id, i) => id === sourceIds[i]);
  return same ? { job, created: false } : { skipped: `shardlet is already part of unfinished ${job.kind} job ${job.id}` };
}

/**
 * Plans a split: the split point is the load median of the events in the shardlet's range on its
 * host; the children's ids are allocated now so that every later step (and a resumed run) uses
 * the same.
 */
export async function planSplit(deps: WorkerDeps, input: { shardletId: string; reason: string; actor?: string | null; splitAt?: number }): Promise<PlanOutcome> {
  const s = await loadShardlet(deps, input.shardletId);
  if (!s) return { skipped: `unknown shardlet ${input.shardletId}` };
  if (s.state !== "active") return { skipped: `shardlet is ${s.state}, not active` };
  if ((await migratingShardletIds(deps.db, [s.id])).length > 0) return { skipped: "shardlet is being migrated to another host" };
  const settings = await getLifecycleSettings(deps.db);
  if ((await liveCount(deps, s.streamId)) >= settings.maxShardletsPerStream) {
    return { skipped: `stream is at its maximum of ${settings.maxShardletsPerStream} shardlets` };
  }
  // Before any lock: the median only places the cut, it need not be exact at the switch.
  // A cut asked for (the orchestrator's profiled median of recent writes) wins over the stored median.
  const profile = input.splitAt !== undefined ? input.splitAt : await keyHashMedian(await deps.hosts.get(s.hostId), { streamId: s.streamId, lo: s.lo, hi: s.hi });
  const point = chooseSplitPoint(s.lo, s.hi, profile, settings.minShardletWidth);
  if (point.at === null) return { skipped: point.reason };
  const now = deps.clock();
  const planned = await createLifecycleJob(deps.db, {
    kind: "split",
    streamId: s.streamId,
    hostId: s.hostId,
    sourceIds: [s.id],
    childIds: [newShardletId(now), newShardletId(now)],
    splitAt: point.at,
    reason: input.reason,
    actor: input.actor ?? null,
  });
  if (!planned.created) return existingOutcome(planned.job, "split", [s.id]);
  await deps.lifecycle?.hooks?.afterPhase?.("planned", planned.job);
  return planned;
}

/** Plans a merge of two adjacent shardlets of one shard on one host (left before right). */
export async function planMerge(
  deps: WorkerDeps,
  input: { leftId: string; rightId: string; reason: string; actor?: string | null },
): Promise<PlanOutcome> {
  const [a, b] = await Promise.all([loadShardlet(deps, input.leftId), loadShardlet(deps, input.rightId)]);
  if (!a || !b) return { skipped: `unknown shardlet ${!a ? input.leftId : input.rightId}` };
  // Accept the pair in either order.
  const [left, right] = a.lo <= b.lo ? [a, b] : [b, a];
  for (const s of [left, right]) if (s.state !== "active") return { skipped: `shardlet ${s.id} is ${s.state}, not active` };
  const problem = mergeProblem(left, right);
  if (problem) return { skipped: problem };
  const migrating = await migratingShardletIds(deps.db, [left.id, right.id]);
  if (migrating.length > 0) return { skipped: `shardlet ${migrating.join(", ")} is being migrated to another host` };
  const planned = await createLifecycleJob(deps.db, {
    kind: "merge",
    streamId: left.streamId,
    hostId: left.hostId,
    sourceIds: [left.id, right.id],
    childIds: [newShardletId(deps.clock())],
    reason: input.reason,
    actor: input.actor ?? null,
  });
  if (!planned.created) return existingOutcome(planned.job, "merge", [left.id, right.id]);
  await deps.lifecycle?.hooks?.afterPhase?.("planned", planned.job);
  return planned;
}
