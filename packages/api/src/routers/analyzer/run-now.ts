import { z } from "zod";
import { ShardcastError } from "@shardcast/core";
import { streamExists } from "@shardcast/db";
import { enqueue } from "@shardcast/jobs";
import { audit } from "../../audit.ts";
import { operatorProcedure } from "../../trpc.ts";
import { idString } from "../shared.ts";

export const runNowInput = z.object({ streamId: idString().optional() }).default({});
export const runNowOutput = z.object({ jobId: z.string(), message: z.string() });

/** Queues an analyzer run now (it runs even while scheduled runs are disabled). */
export const runNow = operatorProcedure
  .input(runNowInput)
  .output(runNowOutput)
  .mutation(async ({ ctx, input }) => {
    if (input.streamId && !(await streamExists(ctx.db, input.streamId))) {
      throw new ShardcastError("not_found", "That stream does not exist.");
    }
    // No deduplication: a run that lands late after a timed-out add is one more analysis, as a
    // second click would be (proposals of a newer run supersede the open ones).
    const job = await enqueue(ctx.queue, "analyzer.run", { trigger: "manual", actor: ctx.user.email, ...(input.streamId ? { streamId: input.streamId } : {}) });
    await audit(ctx, {
      kind: "analyzer.run.request",
      message: "asked the analyzer to run now",
      streamId: input.streamId ?? null,
      details: { jobId: job.id ?? null },
    });
    return { jobId: job.id ?? "", message: "Analyzer run queued." };
  });
