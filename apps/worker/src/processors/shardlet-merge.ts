import { findUnfinishedLifecycleJob } from "@shardcast/db";
import type { JobPayload } from "@shardcast/jobs";
import type { WorkerDeps } from "../deps.ts";
import { runLifecycleJob } from "../lifecycle/machine.ts";
import { planMerge } from "../lifecycle/plan.ts";
import { runPlanned, toOutcome, type LifecycleJobOutcome } from "./shardlet-split.ts";

/**
 * `shardlet.merge`: resumes the persisted job (by id, or the unfinished merge of this pair), else
 * plans the merge of the two adjacent shardlets and runs it.
 */
export async function runShardletMerge(
  deps: WorkerDeps,
  payload: JobPayload<"shardlet.merge">,
  opts: { signal?: AbortSignal } = {},
): Promise<LifecycleJobOutcome> {
  if (payload.jobId) return toOutcome(await runLifecycleJob(deps, payload.jobId, opts));
  const pair = new Set([payload.leftId, payload.rightId]);
  for (const id of pair) {
    const existing = await findUnfinishedLifecycleJob(deps.db, id);
    if (!existing) continue;
    const same = existing.kind === "merge" && existing.sourceIds.length === pair.size && existing.sourceIds.every((s) => pair.has(s));
    if (!same) return { status: "skipped", reason: `shardlet ${id} is part of unfinished ${existing.kind} job ${existing.id}` };
    return toOutcome(await runLifecycleJob(deps, existing.id, opts));
  }
  const planned = await planMerge(deps, { leftId: payload.leftId, rightId: payload.rightId, reason: payload.reason, actor: payload.actor ?? null });
  return runPlanned(deps, planned, opts.signal);
}
