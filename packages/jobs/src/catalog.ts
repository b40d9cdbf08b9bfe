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
  "shardlet.manager": {
    payload: z.strictObject({ streamId: z.string().optional() }),
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 60_000,
    description:
      "Compare every active shardlet's fullness and write rate with the lifecycle settings, enqueue splits and merges, and resume lifecycle jobs a dead worker left behind.",
  },
  "shardlet.split": {
    payload: z.strictObject({
      shardletId: z.string().min(1),
      /** Why: threshold crossed, operator request, ... (shown in the operations log). */
      reason: z.string().max(500).default("split requested"),
      actor: z.string().max(200).optional(),
      /** Resume this persisted lifecycle job instead of planning a new one. */
      jobId: z.string().optional(),
    }),
    // A failed attempt resumes from the persisted phase.
    attempts: 5,
    backoff: { type: "exponential", delay: 2_000 },
    timeoutMs: 10 * 60_000,
    description: "Split a shardlet into two children on the same host at the load median of its range.",
  },
  "shardlet.merge": {
    payload: z.strictObject({
      leftId: z.string().min(1),
      rightId: z.string().min(1),
      reason: z.string().max(500).default("merge requested"),
      actor: z.string().max(200).optional(),
      jobId: z.string().optional(),
    }),
    attempts: 5,
    backoff: { type: "exponential", delay: 2_000 },
    timeoutMs: 10 * 60_000,
    description: "Merge two adjacent shardlets of one shard on the same host into one.",
  },
  "overflow.drain": {
    payload: z.strictObject({ streamId: z.string().optional() }),
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 5 * 60_000,
    description:
      "Move events that reached a shard's overflow log while their shardlet was locked into the live shardlet that now owns their key, and purge drained rows after a grace period.",
  },
  housekeeping: {
    payload: z.strictObject({}),
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 5 * 60_000,
    description: "Delete metric samples past their retention and expired console sessions.",
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
