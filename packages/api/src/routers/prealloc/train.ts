import { z } from "zod";
import { enqueue } from "@shardcast/jobs";
import { audit } from "../../audit.ts";
import { operatorProcedure } from "../../trpc.ts";

export const preallocTrainInput = z.object({ streamId: z.string().min(1).max(100).optional() }).default({});
export const preallocTrainOutput = z.object({ jobId: z.string(), message: z.string() });

/** Queues a training of the content model's cold-start model on stored history; the worker records its outcome. */
export const train = operatorProcedure
  .input(preallocTrainInput)
  .output(preallocTrainOutput)
  .mutation(async ({ ctx, input }) => {
    const job = await enqueue(ctx.queue, "prealloc.train", { trigger: "manual", actor: ctx.user.email, ...(input.streamId ? { streamId: input.streamId } : {}) });
    await audit(ctx, { kind: "prealloc.train.request", message: "requested a training of the content model on stored history", details: { jobId: job.id ?? null, streamId: input.streamId ?? null } });
    return { jobId: job.id ?? "", message: "Training of the content model on stored history queued." };
  });
