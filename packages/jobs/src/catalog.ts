import type { BackoffOptions } from "bullmq";
import { z } from "zod";

/** How one kind of job is validated, retried and bounded in time. */
export interface JobDefinition<S extends z.ZodType = z.ZodType> {
  payload: S;
  /** Total tries, the first included. */
  attempts: number;
  backoff: BackoffOptions;
  /** The processor's signal aborts and the attempt fails after this long. */
  timeoutMs: number;
  description: string;
}

/**
 * Every job the system runs. The console enqueues and the worker processes through this one table,
 * so a payload shape or retry policy cannot differ between the two.
 */
export const jobCatalog = {
  "host.health": {
    payload: z.strictObject({}),
    // Periodic: the next run is the retry, so a failed probe is not repeated at once.
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 30_000,
    description: "Ping every registered host, read its size and connections, mark it active or down.",
  },
  "shardlet.accounting": {
    payload: z.strictObject({}),
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 60_000,
    description: "Fold per-shardlet totals from every host into sizes, event counts and write rates.",
  },
} as const satisfies Record<string, JobDefinition>;

export type JobCatalog = typeof jobCatalog;
export type JobName = keyof JobCatalog;
export type JobPayload<N extends JobName> = z.infer<JobCatalog[N]["payload"]>;
/** Any job's payload: what travels through the queue. */
export type AnyJobPayload = { [N in JobName]: JobPayload<N> }[JobName];

export const JOB_NAMES = Object.keys(jobCatalog) as JobName[];

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(jobCatalog, name);
}
