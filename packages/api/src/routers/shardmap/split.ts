import { z } from "zod";
import { enqueue } from "@shardcast/jobs";
import { audit } from "../../audit.ts";
import { operatorProcedure } from "../../trpc.ts";
import { shardletForSplit } from "../../services/lifecycle-actions.ts";
import { idString, rangeView } from "../shared.ts";

export const splitInput = z.object({ shardletId: idString("choose a shardlet") });
export const splitOutput = z.object({ jobId: z.string(), message: z.string() });

/** Queues a split now, whatever the thresholds say; the worker takes the op-lock and does the work. */
export const split = operatorProcedure
  .input(splitInput)
  .output(splitOutput)
  .mutation(async ({ ctx, input }) => {
    const s = await shardletForSplit(ctx.db, input.shardletId);
    // The manager's and the analyzer's deduplication id: a split already queued for this shardlet,
    // or one that lands late after a timed-out add, is the same job as this request's retry.
    const job = await enqueue(
      ctx.queue,
      "shardlet.split",
      { shardletId: s.id, reason: `split requested by ${ctx.user.email}`, actor: ctx.user.email },
      { deduplication: { id: `split-${s.id}` } },
    );
    const range = rangeView(s.lo, s.hi);
    const message = `Split of shardlet ${range.loHex}–${range.lastHex} queued.`;
    await audit(ctx, {
      kind: "shardlet.split.request",
      message: `requested a split of ${range.loHex}–${range.lastHex}`,
      streamId: s.streamId,
      shardletId: s.id,
      hostId: s.hostId,
      details: { jobId: job.id ?? null, epoch: s.epoch },
    });
    return { jobId: job.id ?? "", message };
  });
