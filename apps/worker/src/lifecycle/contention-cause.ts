import { preallocationOverlapping, type LifecycleJobInfo } from "@shardcast/db";
import type { WorkerDeps } from "../deps.ts";

/** A pre-allocation closed this long ago still explains contention on its range (its surge may outlast it). */
const PREDICTION_RECENT_MS = 10 * 60_000;

/**
 * The content model's prediction behind this contention, if any: the job was a pre-allocation's
 * own split or merge (contention pre-allocation caused), or a reactive change of a range a
 * pre-allocation covered (a surge that was predicted; whether it had been prepared shows in its
 * stage and outcome).
 */
export async function contentionPrediction(
  deps: Pick<WorkerDeps, "db" | "clock">,
  job: Pick<LifecycleJobInfo, "streamId" | "actor">,
  range: { lo: number; hi: number },
): Promise<{ note: string; details: Record<string, unknown> } | null> {
  const p = await preallocationOverlapping(deps.db, { streamId: job.streamId, lo: range.lo, hi: range.hi, nowMs: deps.clock(), recentMs: PREDICTION_RECENT_MS });
  if (!p) return null;
  const d = p.details;
  const caused = job.actor === "prealloc";
  const state = d.outcome ?? d.stage;
  const what = `p ${d.probability.toFixed(2)}${d.cause ? ` after ${d.cause}` : ""}`;
  return {
    note: caused ? `caused by pre-allocation ${p.id} (${what}, ${state})` : `during the surge pre-allocation ${p.id} predicted (${what}, ${state})`,
    details: { id: p.id, role: caused ? "caused" : "predicted", state, probability: d.probability, cause: d.cause },
  };
}

