import { z } from "zod";
import { ShardcastError } from "@shardcast/core";
import { viewerProcedure } from "../../trpc.ts";
import { idString } from "../shared.ts";

export const runStatusInput = z.object({ jobId: idString("a job id is required") });
export const runStatusOutput = z.object({
  state: z.enum(["waiting", "active", "completed", "failed", "unknown"]),
  stage: z.string().nullable(),
  fraction: z.number(),
  error: z.string().nullable(),
  /** A completed run that did nothing, and why (the analyzer disabled, another run under way too long). */
  skipped: z.string().nullable(),
});

function skippedReason(result: unknown): string | null {
  const skipped = typeof result === "object" && result !== null ? (result as { skipped?: unknown }).skipped : null;
  return typeof skipped === "string" ? skipped : null;
}

/** Where a queued analyzer run is: waiting, running (with its stage), done, or failed (with why). */
export const runStatus = viewerProcedure
  .input(runStatusInput)
  .output(runStatusOutput)
  .query(async ({ ctx, input }) => {
    const job = await ctx.queue.getJob(input.jobId);
    if (!job || job.name !== "analyzer.run") throw new ShardcastError("not_found", "No such analyzer run (finished runs are kept for an hour).");
    const raw = await job.getState();
    const state = raw === "completed" || raw === "failed" || raw === "active" ? raw : raw === "unknown" ? "unknown" : "waiting";
    const p = job.progress as unknown;
    const progress = typeof p === "object" && p !== null ? (p as { stage?: unknown; fraction?: unknown }) : {};
    return {
      state,
      stage: typeof progress.stage === "string" ? progress.stage : null,
      fraction: state === "completed" ? 1 : typeof progress.fraction === "number" ? progress.fraction : 0,
      error: state === "failed" ? (job.failedReason ?? "failed") : null,
      skipped: state === "completed" ? skippedReason(job.returnvalue) : null,
    };
  });
