import { z } from "zod";
import { jobStatusInput, jobStatusOutput, plural, readJobStatus, summarizeAs } from "../../job-status.ts";
import { operatorProcedure } from "../../trpc.ts";

const planResult = z.object({ proposed: z.number(), approved: z.number(), withdrawn: z.number(), notes: z.number() });

const planSummary = summarizeAs(planResult, (r) =>
  [
    `${plural(r.proposed, "move")} proposed`,
    // Moves off draining hosts are stored approved: they start without a decision.
    ...(r.approved > 0 ? [`${plural(r.approved, "move")} off draining hosts approved`] : []),
    ...(r.withdrawn > 0 ? [`${plural(r.withdrawn, "stale proposal")} withdrawn`] : []),
    plural(r.notes, "why-not note"),
  ].join(", "),
);

/** Where a planner run queued by "Plan now" is, and what it proposed once done. */
export const planStatus = operatorProcedure
  .input(jobStatusInput)
  .output(jobStatusOutput)
  .query(({ ctx, input }) => readJobStatus(ctx.queue, { jobId: input.jobId, name: "rebalance.plan", what: "planner run", summary: planSummary }));
