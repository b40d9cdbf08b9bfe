import { z } from "zod";
import { enqueue } from "@shardcast/jobs";
import { operatorProcedure } from "../../trpc.ts";

export const planNowOutput = z.object({ jobId: z.string(), message: z.string() });

/** Runs the rebalancer now instead of on its next period. */
export const planNow = operatorProcedure.output(planNowOutput).mutation(async ({ ctx }) => {
  // The deduplication makes a late add after a timed-out one, and the retry, one planner run.
  const job = await enqueue(ctx.queue, "rebalance.plan", { actor: ctx.user.email }, { deduplication: { id: "rebalance-plan-now" } });
  return { jobId: job.id ?? "", message: "The rebalancer is planning; new proposals and notes appear here in a few seconds." };
});
