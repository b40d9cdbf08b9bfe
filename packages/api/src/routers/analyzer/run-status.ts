import { jobStatusInput, jobStatusOutput, readJobStatus } from "../../job-status.ts";
import { viewerProcedure } from "../../trpc.ts";

/** Where a queued analyzer run is: waiting, running (with its stage), done, or failed (with why). */
export const runStatus = viewerProcedure
  .input(jobStatusInput)
  .output(jobStatusOutput)
  .query(({ ctx, input }) => readJobStatus(ctx.queue, { jobId: input.jobId, name: "analyzer.run", what: "analyzer run" }));
