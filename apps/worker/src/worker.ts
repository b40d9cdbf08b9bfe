import { createJobWorker, createQueue, scheduleRepeating, type JobQueue, type JobWorker, type ProcessorOptions } from "@shardcast/jobs";
import type { Redis } from "ioredis";
import type { WorkerDeps } from "./deps.ts";
import { probeErrorMessage } from "./domain/health.ts";
import { createHandlers } from "./processors/index.ts";

export interface WorkerOptions extends ProcessorOptions {
  /** A BullMQ-ready connection (`maxRetriesPerRequest: null`); the caller closes it. */
  connection: Redis;
  prefix: string;
  queueName?: string;
  concurrency: number;
  /** Declare the repeating jobs (default true). Tests that enqueue by hand turn it off. */
  schedule?: boolean;
  accountingEveryMs: number;
  healthEveryMs: number;
}

export interface RunningWorker {
  worker: JobWorker;
  queue: JobQueue;
  /** Stops taking jobs, waits for the running ones, then closes the queue. */
  close(): Promise<void>;
}

export async function startWorker(deps: WorkerDeps, opts: WorkerOptions): Promise<RunningWorker> {
  const { log } = deps;
  const loc = { prefix: opts.prefix, queueName: opts.queueName };
  const queue = createQueue(opts.connection, loc);
  const worker = createJobWorker(
    opts.connection,
    { ...loc, concurrency: opts.concurrency, timeoutMs: opts.timeoutMs },
    createHandlers(deps),
  );
  worker.on("failed", (job, err) => {
    log.warn("job failed", { job: job?.name, jobId: job?.id, attempt: job?.attemptsMade, error: probeErrorMessage(err) });
  });
  worker.on("completed", (job, result) => log.debug("job completed", { job: job.name, jobId: job.id, result }));
  worker.on("error", (err) => log.error("worker error", { error: probeErrorMessage(err) }));
  await worker.waitUntilReady();
  if (opts.schedule ?? true) {
    await scheduleRepeating(queue, "shardlet.accounting", opts.accountingEveryMs);
    await scheduleRepeating(queue, "host.health", opts.healthEveryMs);
  }
  return {
    worker,
    queue,
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
