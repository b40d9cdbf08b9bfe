import { z } from "zod";
import { ShardcastError } from "@shardcast/core";
import type { JobName, JobQueue } from "@shardcast/jobs";
import { idString } from "./routers/shared.ts";

/** What a status procedure of a job an operator queued takes. */
export const jobStatusInput = z.object({ jobId: idString("a job id is required") });

/** Where a queued job is, the same shape for every job the console queues and follows. */
export const jobStatusOutput = z.object({
  state: z.enum(["waiting", "active", "completed", "failed", "unknown"]),
  stage: z.string().nullable(),
  fraction: z.number(),
  error: z.string().nullable(),
  /** A completed run that did nothing, and why (its feature disabled, another run under way too long). */
  skipped: z.string().nullable(),
  /** A completed run's outcome in a few words, for the jobs that have one. */
  summary: z.string().nullable(),
});
export type JobStatus = z.infer<typeof jobStatusOutput>;

/** Turns a finished job's result into a short sentence; null when it has none worth telling. */
export type JobSummary = (result: unknown) => string | null;

/**
 * A summary that only reads results of the shape it knows: a result stored by an older worker
 * release shows as no summary, not as a failed status query.
 */
export function summarizeAs<T extends z.ZodType>(schema: T, format: (result: z.infer<T>) => string): JobSummary {
  return (result) => {
    const parsed = schema.safeParse(result);
    return parsed.success ? format(parsed.data) : null;
  };
}

/** "1 move", "3 moves": counts in a summary. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

function skippedReason(result: unknown): string | null {
  const skipped = typeof result === "object" && result !== null ? (result as { skipped?: unknown }).skipped : null;
  return typeof skipped === "string" ? skipped : null;
}

/**
 * A job's progress as the console shows it. Jobs report it either as `{ stage, fraction }` or, the
 * ones without stages, as a bare percent (`job.updateProgress(42)`), read as a fraction 0..1.
 */
function progressOf(p: unknown): { stage: string | null; fraction: number } {
  if (typeof p === "number") return { stage: null, fraction: Number.isFinite(p) ? Math.max(0, Math.min(1, p / 100)) : 0 };
  const progress = typeof p === "object" && p !== null ? (p as { stage?: unknown; fraction?: unknown }) : {};
  return {
    stage: typeof progress.stage === "string" ? progress.stage : null,
    fraction: typeof progress.fraction === "number" ? progress.fraction : 0,
  };
}

/**
 * The state of job `jobId`, which must be a `name` job: an id of another kind of job is as unknown
 * as a made-up one, so a status procedure never reads a job its caller could not have queued there.
 */
export async function readJobStatus(queue: JobQueue, opts: { jobId: string; name: JobName; what: string; summary?: JobSummary }): Promise<JobStatus> {
  // The state first, then the job: a job read before it finished and found finished by the next
  // call has no result in hand, and the console stops asking once a run has ended, so it would
  // show "finished" without the outcome. A job read after its state holds at least that state's data.
  const raw = await queue.getJobState(opts.jobId);
  const job = await queue.getJob(opts.jobId);
  if (!job || job.name !== opts.name) throw new ShardcastError("not_found", `No such ${opts.what} (finished runs are kept for an hour).`);
  // Delayed, prioritized and waiting-children jobs have not started either.
  const state = raw === "completed" || raw === "failed" || raw === "active" || raw === "unknown" ? raw : "waiting";
  const progress = progressOf(job.progress);
  const skipped = state === "completed" ? skippedReason(job.returnvalue) : null;
  return {
    state,
    stage: progress.stage,
    fraction: state === "completed" ? 1 : progress.fraction,
    error: state === "failed" ? job.failedReason || "failed" : null,
    skipped,
    summary: state === "completed" && !skipped && opts.summary ? opts.summary(job.returnvalue) : null,
  };
}
