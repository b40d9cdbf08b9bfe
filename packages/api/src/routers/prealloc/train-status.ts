import { z } from "zod";
import { jobStatusInput, jobStatusOutput, plural, readJobStatus, summarizeAs } from "../../job-status.ts";
import { viewerProcedure } from "../../trpc.ts";

const trainResult = z.object({ streams: z.array(z.object({ outcome: z.enum(["installed", "kept", "worse", "skipped"]) })) });

const OUTCOME_TEXT: Record<z.infer<typeof trainResult>["streams"][number]["outcome"], string> = {
  installed: "installed",
  kept: "kept by edges with their own model",
  worse: "not better than the type-blind model",
  skipped: "with too little history",
};

const trainSummary = summarizeAs(trainResult, (r) => {
  if (r.streams.length === 0) return "no stream to train";
  const counts = (Object.keys(OUTCOME_TEXT) as Array<keyof typeof OUTCOME_TEXT>)
    .map((outcome) => [outcome, r.streams.filter((s) => s.outcome === outcome).length] as const)
    .filter(([, n]) => n > 0)
    .map(([outcome, n]) => `${n} ${OUTCOME_TEXT[outcome]}`);
  return `${plural(r.streams.length, "stream")}: ${counts.join(", ")}`;
});

/** Where a queued `prealloc.train` job is (its fraction: the share of streams done), and each stream's outcome once done. */
export const trainStatus = viewerProcedure
  .input(jobStatusInput)
  .output(jobStatusOutput)
  .query(({ ctx, input }) => readJobStatus(ctx.queue, { jobId: input.jobId, name: "prealloc.train", what: "cold-start model training", summary: trainSummary }));
