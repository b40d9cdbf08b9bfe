import { z } from "zod";
import { storableString } from "@shardcast/core";
import { viewerProcedure } from "../../trpc.ts";

export const trainStatusInput = z.object({ jobId: storableString.min(1).max(200) });
export const trainStatusOutput = z.object({
  /** waiting, active, completed, failed; null when no such prealloc.train job is queued (or it was removed). */
  job: z.object({ id: z.string(), state: z.string(), progress: z.number(), failedReason: z.string().nullable() }).nullable(),
});

/** A queued `prealloc.train` job's state and progress (0..1: the share of streams done). */
export const trainStatus = viewerProcedure
  .input(trainStatusInput)
  .output(trainStatusOutput)
  .query(async ({ ctx, input }) => {
    const j = await ctx.queue.getJob(input.jobId);
    if (j?.name !== "prealloc.train") return { job: null };
    const progress = typeof j.progress === "number" ? Math.max(0, Math.min(1, j.progress / 100)) : 0;
    return { job: { id: input.jobId, state: await j.getState(), progress, failedReason: j.failedReason || null } };
  });
