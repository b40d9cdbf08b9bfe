import type { JobQueue } from "@shardcast/jobs";
import type { WorkerDeps } from "../deps.ts";
import { runRebalancePlan } from "../rebalance/plan.ts";

/** `rebalance.plan`: one planner run; the job's result (kept in Redis) is a small summary. */
export async function processRebalancePlan(
  deps: WorkerDeps,
  payload: { streamId?: string; actor?: string },
  ctx: { queue?: JobQueue; signal?: AbortSignal },
): Promise<{ proposed: number; approved: number; duplicates: number; withdrawn: number; notes: number; drainingHosts: number; skipped?: string }> {
  const r = await runRebalancePlan(deps, {
    ...(payload.streamId ? { streamId: payload.streamId } : {}),
    ...(payload.actor ? { actor: payload.actor } : {}),
    ...(ctx.queue ? { queue: ctx.queue } : {}),
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
  const proposed = r.created.filter((c) => c.phase === "proposed").length;
  return {
    proposed,
    approved: r.created.length - proposed,
    duplicates: r.duplicates,
    withdrawn: r.withdrawn,
    notes: r.notes.length,
    drainingHosts: r.drainingHosts,
    ...(r.skipped ? { skipped: r.skipped } : {}),
  };
}
