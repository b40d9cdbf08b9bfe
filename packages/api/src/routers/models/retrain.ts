import { z } from "zod";
import { enqueue } from "@shardcast/jobs";
import { audit } from "../../audit.ts";
import { operatorProcedure } from "../../trpc.ts";
import { trainKindSchema } from "./shared.ts";

export const retrainInput = z.object({ kind: trainKindSchema.default("all") });
export const retrainOutput = z.object({ jobId: z.string(), message: z.string() });

/** Queues a training run now; the worker creates the version rows and reports progress on them. */
export const retrain = operatorProcedure
  .input(retrainInput)
  .output(retrainOutput)
  .mutation(async ({ ctx, input }) => {
    // No deduplication: a training that lands late after a timed-out add is one more version, as a
    // second click would be; a version is only used once it beats the one in use.
    const job = await enqueue(ctx.queue, "model.train", { kind: input.kind, trigger: "manual", actor: ctx.user.email });
    const what = input.kind === "all" ? "Holt-Winters and the LSTM" : input.kind === "lstm" ? "the LSTM" : "Holt-Winters";
    await audit(ctx, { kind: "model.train.request", message: `requested a training of ${what}`, details: { jobId: job.id ?? null, kind: input.kind } });
    return { jobId: job.id ?? "", message: `Training of ${what} queued.` };
  });
