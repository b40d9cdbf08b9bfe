import { z } from "zod";
import { ShardcastError, storableString } from "@shardcast/core";
import { streamExists } from "@shardcast/db";
import { enqueue } from "@shardcast/jobs";
import { audit } from "../../audit.ts";
import { operatorProcedure } from "../../trpc.ts";

// A stream id PostgreSQL cannot store would be queued, and its audit entry fail to be written.
export const preallocTrainInput = z.object({ streamId: storableString.min(1).max(100).optional() }).default({});
export const preallocTrainOutput = z.object({ jobId: z.string(), message: z.string() });

/** Queues a training of the content model's cold-start model on stored history; the worker records its outcome. */
export const train = operatorProcedure
  .input(preallocTrainInput)
  .output(preallocTrainOutput)
  .mutation(async ({ ctx, input }) => {
    // A training of no stream would be recorded as the latest one, hiding the real results.
    if (input.streamId && !(await streamExists(ctx.db, input.streamId))) {
      throw new ShardcastError("not_found", "That stream does not exist.");
    }
    // No deduplication: a training that lands late after a timed-out add is one more training on the
    // same history, as a second click would be.
    const job = await enqueue(ctx.queue, "prealloc.train", { trigger: "manual", actor: ctx.user.email, ...(input.streamId ? { streamId: input.streamId } : {}) });
    await audit(ctx, { kind: "prealloc.train.request", message: "requested a training of the content model on stored history", details: { jobId: job.id ?? null, streamId: input.streamId ?? null } });
    return { jobId: job.id ?? "", message: "Training of the content model on stored history queued." };
  });
