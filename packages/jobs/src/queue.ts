import { ShardcastError, withTimeout } from "@shardcast/core";
import { redisUnavailable } from "@shardcast/runtime/redis";
import { Queue, QueueEvents, type ConnectionOptions, type Job, type JobsOptions, type KeepJobs } from "bullmq";
import { isJobName, jobCatalog, type AnyJobPayload, type JobName, type JobPayload } from "./catalog.ts";

export const DEFAULT_QUEUE_NAME = "shardcast";

/** Where a queue lives in Redis: keys are `{prefix}:${queueName}:...` (see {@link queuePrefix}). */
export interface QueueLocation {
  prefix: string;
  queueName?: string;
}

/**
 * BullMQ's prefix for a deployment prefix: the prefix as a Redis Cluster hash tag, because
 * BullMQ's scripts touch many keys of a queue at once and a cluster only runs a script whose keys
 * share a slot. Changing it (it was the bare prefix) leaves the old queue behind, which is what a
 * Redis that lost its data looks like: workers declare their schedules again at start, and the
 * split, merge and migration jobs resume from the phases in the control database.
 */
export function queuePrefix(prefix: string): string {
  return `{${prefix}}`;
}

export type JobQueue = Queue<AnyJobPayload, unknown, JobName>;
export type QueuedJob = Job<AnyJobPayload, unknown, JobName>;

/** Finished jobs are trimmed so that jobs repeating every few seconds do not fill Redis. */
export const KEEP_COMPLETED: KeepJobs = { age: 3_600, count: 1_000 };
export const KEEP_FAILED: KeepJobs = { age: 7 * 24 * 3_600, count: 5_000 };

export function createQueue(connection: ConnectionOptions, loc: QueueLocation): JobQueue {
  return new Queue<AnyJobPayload, unknown, JobName>(loc.queueName ?? DEFAULT_QUEUE_NAME, {
    connection,
    prefix: queuePrefix(loc.prefix),
    defaultJobOptions: { removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED },
  });
}

/**
 * Completion and failure events of a queue, e.g. for `job.waitUntilFinished(events)`.
 *
 * Reads the queue's event stream from its start, not from "now": BullMQ's `waitUntilReady()`
 * resolves once the connection is up, before its first blocking read is issued, so a job that
 * finishes in between would otherwise never be reported (its waiter times out although the job
 * ended). Replaying the stream (capped by BullMQ at 10,000 events) delivers such an event late
 * instead of never.
 */
export function createQueueEvents(connection: ConnectionOptions, loc: QueueLocation): QueueEvents {
  return new QueueEvents(loc.queueName ?? DEFAULT_QUEUE_NAME, { connection, prefix: queuePrefix(loc.prefix), lastEventId: "0-0" });
}

/** Parses a payload against the catalog; `validation_failed` lists each issue with its path. */
export function validatePayload<N extends JobName>(name: N, payload: unknown): JobPayload<N> {
  if (!isJobName(name)) throw new ShardcastError("bad_request", `unknown job "${String(name)}"`);
  const parsed = jobCatalog[name].payload.safeParse(payload);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
    const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
    throw new ShardcastError("validation_failed", `invalid payload for job "${name}": ${summary}`, { job: name, issues });
  }
  return parsed.data as JobPayload<N>;
}

/** Per-call options; retries and backoff always come from the catalog. */
export type EnqueueOptions = Omit<JobsOptions, "attempts" | "backoff">;

/**
 * How long an add may wait for Redis. BullMQ's connections retry a command forever
 * (`maxRetriesPerRequest: null`), so without a bound a caller waits out a whole Redis outage;
 * a console request would hang with its change already made.
 */
export const ENQUEUE_TIMEOUT_MS = 5_000;

/**
 * Validates and queues a job. Fails with `unavailable` (503) when Redis is gone or does not answer
 * within {@link ENQUEUE_TIMEOUT_MS}. A timed-out add is still in the
 * connection's queue and may land once Redis answers: callers either use a job id or
 * deduplication id that makes a retry the same job, or queue work that is safe to run twice.
 */
export async function enqueue<N extends JobName>(
  queue: JobQueue,
  name: N,
  payload: JobPayload<N>,
  opts: EnqueueOptions = {},
): Promise<QueuedJob> {
  const data = validatePayload(name, payload);
  const def = jobCatalog[name];
  const added = queue.add(name, data, { ...opts, attempts: def.attempts, backoff: def.backoff });
  try {
    return await withTimeout(
      added,
      ENQUEUE_TIMEOUT_MS,
      () => new ShardcastError("unavailable", `the job queue did not answer within ${ENQUEUE_TIMEOUT_MS / 1000} s; job "${name}" may not be queued`, { retryAfterMs: ENQUEUE_TIMEOUT_MS }),
    );
  } catch (err) {
    if (err instanceof Error && redisUnavailable(err)) {
      throw new ShardcastError("unavailable", `the job queue is unavailable (${err.message}); job "${name}" was not queued`, { retryAfterMs: 1_000 }, { cause: err });
    }
    throw err;
  }
}

/**
 * Runs `name` every `everyMs` through a BullMQ job scheduler keyed by the job name, so every worker
 * (or console) that calls this at start converges on one schedule instead of stacking copies.
 */
export async function scheduleRepeating<N extends JobName>(
  queue: JobQueue,
  name: N,
  everyMs: number,
  payload?: JobPayload<N>,
  opts: {
    /**
     * First run this long after the schedule is first declared (default: at once). A schedule that
     * already exists keeps its next run, so restarts do not postpone it.
     */
    firstAfterMs?: number;
  } = {},
): Promise<void> {
  if (!Number.isInteger(everyMs) || everyMs <= 0) {
    throw new ShardcastError("bad_request", `repeat interval for "${name}" must be a positive integer of ms`);
  }
  const data = validatePayload(name, payload ?? {});
  const def = jobCatalog[name];
  await queue.upsertJobScheduler(
    name,
    { every: everyMs, ...(opts.firstAfterMs !== undefined && opts.firstAfterMs > 0 ? { startDate: Date.now() + opts.firstAfterMs } : {}) },
    {
      name,
      data,
      opts: { attempts: def.attempts, backoff: def.backoff, removeOnComplete: KEEP_COMPLETED, removeOnFail: KEEP_FAILED },
    },
  );
}

export async function unscheduleRepeating(queue: JobQueue, name: JobName): Promise<boolean> {
  return queue.removeJobScheduler(name);
}

/**
 * Queues the provisioning of an approved add-host proposal: the callback `approveAddHostProposal`
 * calls with the approval's time and the job id derived from it, so a retried approval finds its
 * job instead of queueing a second one.
 */
export function queueHostProvision(queue: JobQueue, proposalId: string, actor: string): (approvedAt: string, jobId: string) => Promise<string | null> {
  return async (approvedAt, jobId) => (await enqueue(queue, "host.provision", { proposalId, actor, approvedAt }, { jobId })).id ?? null;
}
