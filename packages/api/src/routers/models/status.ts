import { z } from "zod";
import { isShardcastError } from "@shardcast/core";
import { listTrainingModelVersions } from "@shardcast/db";
import type { JobQueue } from "@shardcast/jobs";
import { jobStatusInput, jobStatusOutput, plural, readJobStatus, summarizeAs, type JobStatus } from "../../job-status.ts";
import { viewerProcedure } from "../../trpc.ts";
import { modelVersionSchema, modelVersionView } from "./shared.ts";

export const statusInput = jobStatusInput.partial().default({});
export const statusOutput = z.object({
  /** Versions being trained now, with their progress. */
  training: z.array(modelVersionSchema),
  /**
   * The queued job asked about, until its rows exist and after; null when none was asked about.
   * One that is no longer queued (finished runs are kept for an hour) or is no `model.train` job is
   * `unknown`: the page keeps showing what is training either way.
   */
  job: jobStatusOutput.nullable(),
});

const trainResult = z.object({ decision: z.string(), versions: z.array(z.object({ status: z.string() })) });

const trainSummary = summarizeAs(trainResult, (r) => {
  const failed = r.versions.filter((v) => v.status === "failed").length;
  return failed > 0 ? `${r.decision}; ${plural(failed, "model")} failed to train` : r.decision;
});

const GONE: JobStatus = { state: "unknown", stage: null, fraction: 0, error: null, skipped: null, summary: null };

async function jobStatus(queue: JobQueue, jobId: string): Promise<JobStatus> {
  try {
    return await readJobStatus(queue, { jobId, name: "model.train", what: "model training", summary: trainSummary });
  } catch (err) {
    if (isShardcastError(err) && err.code === "not_found") return GONE;
    throw err;
  }
}

/** The versions training now and, when `jobId` is given, where that queued `model.train` job is. */
export const status = viewerProcedure
  .input(statusInput)
  .output(statusOutput)
  .query(async ({ ctx, input }) => {
    const [versions, job] = await Promise.all([listTrainingModelVersions(ctx.db), input.jobId ? jobStatus(ctx.queue, input.jobId) : null]);
    return { training: versions.map(modelVersionView), job };
  });
