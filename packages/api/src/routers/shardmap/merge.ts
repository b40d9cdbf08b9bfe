import { z } from "zod";
import { enqueue } from "@shardcast/jobs";
import { audit } from "../../audit.ts";
import { operatorProcedure } from "../../trpc.ts";
import { shardletsForMerge } from "../../services/lifecycle-actions.ts";
import { idString, rangeView } from "../shared.ts";

export const mergeInput = z.object({
  leftId: idString("choose a shardlet"),
  /** The right-hand neighbour: must start where the left one ends, in the same shard and host. */
  rightId: idString("choose its right neighbour"),
});
export const mergeOutput = z.object({ jobId: z.string(), message: z.string() });

export const merge = operatorProcedure
  .input(mergeInput)
  .output(mergeOutput)
  .mutation(async ({ ctx, input }) => {
    const { left, right } = await shardletsForMerge(ctx.db, input.leftId, input.rightId);
    // The manager's deduplication id: a merge already queued for this pair, or one that lands late
    // after a timed-out add, is the same job as this request's retry.
    const job = await enqueue(
      ctx.queue,
      "shardlet.merge",
      { leftId: left.id, rightId: right.id, reason: `merge requested by ${ctx.user.email}`, actor: ctx.user.email },
      { deduplication: { id: `merge-${left.id}-${right.id}` } },
    );
    const range = rangeView(left.lo, right.hi);
    const message = `Merge into shardlet ${range.loHex}–${range.lastHex} queued.`;
    await audit(ctx, {
      kind: "shardlet.merge.request",
      message: `requested a merge of ${rangeView(left.lo, left.hi).loHex}… and ${rangeView(right.lo, right.hi).loHex}… into ${range.loHex}–${range.lastHex}`,
      streamId: left.streamId,
      shardletId: left.id,
      hostId: left.hostId,
      details: { jobId: job.id ?? null, leftId: left.id, rightId: right.id },
    });
    return { jobId: job.id ?? "", message };
  });
