import { z } from "zod";
import { jobStatusInput, jobStatusOutput, plural, readJobStatus, summarizeAs } from "../../job-status.ts";
import { operatorProcedure } from "../../trpc.ts";

const orchestratorResult = z.object({
  shardlets: z.number(),
  unhealthy: z.number(),
  proposals: z.object({ split: z.number(), migrate: z.number() }),
  notes: z.number(),
  applied: z.number(),
});

const runSummary = summarizeAs(orchestratorResult, (r) =>
  [
    `${plural(r.shardlets, "shardlet")} scored, ${r.unhealthy} below the threshold`,
    `${plural(r.proposals.split, "split")} and ${plural(r.proposals.migrate, "move")} proposed`,
    ...(r.applied > 0 ? [`${plural(r.applied, "split")} queued at once`] : []),
    plural(r.notes, "note"),
  ].join(", "),
);

/** Where an orchestrator run queued by "run now" is, and what it found once done. */
export const runStatus = operatorProcedure
  .input(jobStatusInput)
  .output(jobStatusOutput)
  .query(({ ctx, input }) => readJobStatus(ctx.queue, { jobId: input.jobId, name: "orchestrator.run", what: "orchestrator run", summary: runSummary }));
