import { z } from "zod";
import { storableString } from "@shardcast/core";
import { listTrainingModelVersions } from "@shardcast/db";
import { viewerProcedure } from "../../trpc.ts";
import { modelVersionSchema, modelVersionView } from "./shared.ts";

export const statusInput = z.object({ jobId: storableString.min(1).max(200).optional() }).default({});
export const statusOutput = z.object({
  /** Versions being trained now, with their progress. */
  training: z.array(modelVersionSchema),
  /** The queued job asked about, until its rows exist and after: waiting, active, completed, failed. */
  job: z.object({ id: z.string(), state: z.string(), progress: z.number(), failedReason: z.string().nullable() }).nullable(),
});

export const status = viewerProcedure
  .input(statusInput)
  .output(statusOutput)
  .query(async ({ ctx, input }) => {
    const training = (await listTrainingModelVersions(ctx.db)).map(modelVersionView);
    let job: z.infer<typeof statusOutput>["job"] = null;
    if (input.jobId) {
      const j = await ctx.queue.getJob(input.jobId);
      if (j?.name === "model.train") {
        const progress = typeof j.progress === "number" ? j.progress / 100 : 0;
        job = { id: input.jobId, state: await j.getState(), progress: Math.max(0, Math.min(1, progress)), failedReason: j.failedReason || null };
      }
    }
    return { training, job };
  });
