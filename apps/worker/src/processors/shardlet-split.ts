import { findUnfinishedLifecycleJob } from "@shardcast/db";
import type { JobPayload } from "@shardcast/jobs";
import type { WorkerDeps } from "../deps.ts";
import { runLifecycleJob, type LifecycleRunResult } from "../lifecycle/machine.ts";
import { planSplit, type PlanOutcome } from "../lifecycle/plan.ts";

/** What a split or merge job reports (kept small: it is stored in Redis). */
export type LifecycleJobOutcome =
  | { status: "done" | "failed"; jobId: string; rowsMoved: number; drained: number; durationMs: number; error?: string }
  | { status: "skipped"; reason: string };

export function toOutcome(r: LifecycleRunResult): LifecycleJobOutcome {
  return {
    status: r.status,
    jobId: r.jobId,
    rowsMoved: r.rowsMoved,
    drained: r.drained,
    durationMs: r.durationMs,
    ...(r.error !== undefined ? { error: r.error } : {}),
  };
}

export async function runPlanned(deps: WorkerDeps, planned: PlanOutcome, signal: AbortSignal | undefined): Promise<LifecycleJobOutcome> {
  if ("skipped" in planned) {
    deps.log.debug("lifecycle change skipped", { reason: planned.skipped });
    return { status: "skipped", reason: planned.skipped };
  }
  return toOutcome(await runLifecycleJob(deps, planned.job.id, { signal }));
}

/**
 * `shardlet.split`: resumes the persisted job (by id, or the unfinished split of this shardlet),
 * else plans one at the load median and runs it.
 */
export async function runShardletSplit(
  deps: WorkerDeps,
  payload: JobPayload<"shardlet.split">,
  opts: { signal?: AbortSignal } = {},
): Promise<LifecycleJobOutcome> {
  if (payload.jobId) return toOutcome(await runLifecycleJob(deps, payload.jobId, opts));
  const existing = await findUnfinishedLifecycleJob(deps.db, payload.shardletId);
  if (existing) {
    if (existing.kind !== "split") return { status: "skipped", reason: `shardlet is part of unfinished ${existing.kind} job ${existing.id}` };
    return toOutcome(await runLifecycleJob(deps, existing.id, opts));
  }
  const planned = await planSplit(deps, {
    shardletId: payload.shardletId,
    reason: payload.reason,
    actor: payload.actor ?? null,
    ...(payload.splitAt !== undefined ? { splitAt: payload.splitAt } : {}),
  });
  return runPlanned(deps, planned, opts.signal);
}
