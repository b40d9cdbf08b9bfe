import type { JobQueue } from "@shardcast/jobs";
import type { WorkerDeps } from "../deps.ts";
import { runAnalyzer, type AnalyzerRunResult } from "../analyzer/run.ts";

/**
 * `analyzer.run`: one run of the predictive load analyzer (see analyzer/run.ts). The job's
 * progress carries the stage, so the console can show a run an operator asked for.
 */
export function runAnalyzerJob(
  deps: WorkerDeps,
  payload: { streamId?: string; trigger?: "schedule" | "manual"; actor?: string },
  opts: { queue?: JobQueue; signal?: AbortSignal; onProgress?: (p: { stage: string; fraction: number }) => Promise<void> },
): Promise<AnalyzerRunResult> {
  return runAnalyzer(
    { db: deps.db, log: deps.log, clock: deps.clock, ...(deps.opLocks ? { opLocks: deps.opLocks } : {}) },
    {
      ...(payload.streamId ? { streamId: payload.streamId } : {}),
      ...(payload.trigger ? { trigger: payload.trigger } : {}),
      ...(payload.actor ? { actor: payload.actor } : {}),
      ...(opts.queue ? { queue: opts.queue } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    },
  );
}
