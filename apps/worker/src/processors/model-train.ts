import type { JobPayload } from "@shardcast/jobs";
import type { WorkerDeps } from "../deps.ts";
import { runModelTraining, type TrainingRunResult } from "../training/run.ts";

/** `model.train`: trains, scores and maybe promotes; progress goes to the version rows and the job. */
export function runModelTrain(
  deps: WorkerDeps,
  payload: JobPayload<"model.train">,
  ctx: { jobId: string; signal: AbortSignal; onProgress: (fraction: number) => Promise<void> },
): Promise<TrainingRunResult> {
  return runModelTraining(deps, payload, ctx);
}
