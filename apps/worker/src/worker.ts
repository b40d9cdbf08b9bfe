import { createJobWorker, createQueue, enqueue, scheduleRepeating, unscheduleRepeating, type JobQueue, type JobWorker, type ProcessorOptions } from "@shardcast/jobs";
import { lifecycleChannel } from "@shardcast/runtime/redis";
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
  /** Period of the shardlet manager's scan (default 5 s). */
  managerEveryMs?: number;
  /** Period of the overflow drain sweep (default 5 s). */
  drainEveryMs?: number;
  /** Period of the telemetry rollup (default 10 s). */
  telemetryRollupEveryMs?: number;
  /** Period of the host resource sampling (default 30 s). */
  hostResourcesEveryMs?: number;
  /** Period of the predictive load analyzer (default 30 s). */
  analyzerEveryMs?: number;
  /** Period of the forecasting models' retraining (default 6 h; 0 = on demand only). */
  trainEveryMs?: number;
  /** Period of the rebalancer's planning run (default 30 s). */
  rebalanceEveryMs?: number;
  /** Period of the migration scheduler: starts approved migrations, resumes stalled ones (default 5 s). */
  migrationSchedulerEveryMs?: number;
  /**
   * Scan soon after an edge reports a threshold crossing on `<prefix>:lifecycle`, at most once per
   * this many ms (default 500). 0 turns the subscription off.
   */
  hintDebounceMs?: number;
}

export interface RunningWorker {
  worker: JobWorker;
  queue: JobQueue;
  /** Stops taking jobs, waits for the running ones, then closes the queue. */
  close(): Promise<void>;
}

/**
 * Turns bursts of threshold hints into one manager scan per window. Returns the message handler
 * and a stop function.
 */
export function debouncedScan(trigger: () => Promise<unknown>, windowMs: number, onError: (err: unknown) => void): { hint(): void; stop(): void } {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  return {
    hint() {
      if (timer || stopped) return;
      timer = setTimeout(() => {
        timer = null;
        trigger().catch(onError);
      }, windowMs);
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}

export async function startWorker(deps: WorkerDeps, opts: WorkerOptions): Promise<RunningWorker> {
  const { log } = deps;
  const loc = { prefix: opts.prefix, queueName: opts.queueName };
  const queue = createQueue(opts.connection, loc);
  const worker = createJobWorker(
    opts.connection,
    { ...loc, concurrency: opts.concurrency, timeoutMs: opts.timeoutMs },
    createHandlers(deps, { queue, redis: opts.connection, prefix: opts.prefix }),
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
    await scheduleRepeating(queue, "shardlet.manager", opts.managerEveryMs ?? 5_000);
    await scheduleRepeating(queue, "overflow.drain", opts.drainEveryMs ?? 5_000);
    await scheduleRepeating(queue, "analyzer.run", opts.analyzerEveryMs ?? 30_000, { trigger: "schedule" });
    const trainEveryMs = opts.trainEveryMs ?? 6 * 3_600_000;
    // Not at start: training takes the CPU for a while, and until a trained version qualifies the
    // baselines serve anyway. Operators can train at once from the console.
    if (trainEveryMs > 0) await scheduleRepeating(queue, "model.train", trainEveryMs, { kind: "all", trigger: "schedule" }, { firstAfterMs: trainEveryMs });
    else await unscheduleRepeating(queue, "model.train");
    await scheduleRepeating(queue, "rebalance.plan", opts.rebalanceEveryMs ?? 30_000);
    await scheduleRepeating(queue, "migration.scheduler", opts.migrationSchedulerEveryMs ?? 5_000);
    await scheduleRepeating(queue, "telemetry.rollup", opts.telemetryRollupEveryMs ?? 10_000);
    await scheduleRepeating(queue, "host.resources", opts.hostResourcesEveryMs ?? 30_000);
    await scheduleRepeating(queue, "housekeeping", 10 * 60_000);
  }

  // Edges report threshold crossings so a split need not wait for the next period.
  const debounceMs = opts.hintDebounceMs ?? 500;
  let subscriber: Redis | null = null;
  let scan: ReturnType<typeof debouncedScan> | null = null;
  if (debounceMs > 0) {
    scan = debouncedScan(
      () => enqueue(queue, "shardlet.manager", {}, { deduplication: { id: "manager-hint" } }),
      debounceMs,
      (err) => log.warn("manager scan on hint failed to enqueue", { error: probeErrorMessage(err) }),
    );
    const hinted = scan;
    subscriber = opts.connection.duplicate();
    subscriber.on("error", (err) => log.warn("lifecycle subscription error", { error: probeErrorMessage(err) }));
    subscriber.on("message", () => hinted.hint());
    await subscriber.subscribe(lifecycleChannel(opts.prefix));
  }

  return {
    worker,
    queue,
    async close() {
      scan?.stop();
      subscriber?.disconnect();
      await worker.close();
      await queue.close();
    },
  };
}
