import { declarePeriodicJobs, recordPeriodicRun, removePeriodicJob } from "@shardcast/db";
import {
  createJobWorker,
  createQueue,
  DEFAULT_QUEUE_NAME,
  enqueue,
  queuePrefix,
  scheduleRepeating,
  unscheduleRepeating,
  type JobName,
  type JobPayload,
  type JobQueue,
  type JobWorker,
  type ProcessorOptions,
} from "@shardcast/jobs";
import { keepSubscribed, lifecycleChannel } from "@shardcast/runtime/redis";
import type { Redis } from "ioredis";
import type { WorkerDeps } from "./deps.ts";
import { withTimeout } from "./domain/abort.ts";
import { probeErrorMessage } from "./domain/health.ts";
import { createHandlers, DEFAULT_CHECKPOINT_EVERY_MS } from "./processors/index.ts";

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
  orchestratorEveryMs?: number;
  /** Period of the event correlation job that feeds the edges' prefetchers (default 10 s; 0 = off). */
  correlateEveryMs?: number;
  /** Period of adaptive placement of cold data (archive, restore; default 60 s; 0 = off). */
  placementEveryMs?: number;
  /** Period of read-replica sync (default 2 s; 0 = off). */
  replicaSyncEveryMs?: number;
  /** Period of the forecasting models' retraining (default 6 h; 0 = on demand only). */
  trainEveryMs?: number;
  /** Period of the pre-allocator (default 5 s; 0 = off). It prepares nothing while the aggressiveness setting is 0. */
  preallocEveryMs?: number;
  /** Period of `prealloc.train` (first run after at most 5 minutes); 0: on demand only. */
  preallocTrainEveryMs?: number;
  /** Period of the rebalancer's planning run (default 30 s). */
  rebalanceEveryMs?: number;
  /** Period of the consumer checkpoint job (default 5 s): also how long its decisions must hold. */
  checkpointEveryMs?: number;
  /** Period of the migration scheduler: starts approved migrations, resumes stalled ones (default 5 s). */
  migrationSchedulerEveryMs?: number;
  /** Period of `retention.enforce`: partitions ahead, stream starts, expired partitions dropped (default 60 s). */
  retentionEveryMs?: number;
  /**
   * How often the worker checks that Redis still holds the schedules (default 5 s); it declares
   * them again when Redis lost them (a restart without persistence, a flush).
   */
  scheduleCheckMs?: number;
  /**
   * Scan soon after an edge reports a threshold crossing on `<prefix>:lifecycle`, at most once per
   * this many ms (default 500). 0 turns the subscription off.
   */
  hintDebounceMs?: number;
  /** How long `close()` lets running jobs finish before cancelling them (default 30 s). */
  shutdownGraceMs?: number;
}

export interface RunningWorker {
  worker: JobWorker;
  queue: JobQueue;
  /**
   * Stops taking jobs and waits for the running ones up to `shutdownGraceMs`; then cancels them
   * (their signal aborts: periodic jobs run again, migrations and splits resume from their state)
   * and, if one still does not let go, closes without it. Then closes the queue.
   */
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
    createHandlers(deps, { queue, redis: opts.connection, prefix: opts.prefix, checkpointEveryMs: opts.checkpointEveryMs ?? DEFAULT_CHECKPOINT_EVERY_MS }),
  );
  worker.on("failed", (job, err) => {
    log.warn("job failed", { job: job?.name, jobId: job?.id, attempt: job?.attemptsMade, error: probeErrorMessage(err) });
  });
  worker.on("completed", (job, result) => log.debug("job completed", { job: job.name, jobId: job.id, result }));
  worker.on("error", (err) => log.error("worker error", { error: probeErrorMessage(err) }));
  await worker.waitUntilReady();

  const { on: schedules, off: turnedOff } = (opts.schedule ?? true) ? periodicSchedules(queue, opts) : { on: [], off: [] };
  const scheduled = new Set<string>(schedules.map((s) => s.name));
  // Written after the schedules: while it is missing, Redis may have lost them. Kept among the
  // queue's keys so that it is lost, or renamed, together with them.
  const sentinel = `${queuePrefix(opts.prefix)}:${opts.queueName ?? DEFAULT_QUEUE_NAME}:schedules`;
  const declare = async () => {
    for (const s of schedules) await s.declare();
    // Schedules persist in Redis: one an earlier worker declared keeps running until removed.
    for (const name of turnedOff) {
      await unscheduleRepeating(queue, name);
      await removePeriodicJob(deps.db, name);
    }
    await declarePeriodicJobs(deps.db, schedules.map((s) => ({ name: s.name, everyMs: s.everyMs })));
    await opts.connection.set(sentinel, new Date().toISOString());
  };
  let checking: Promise<void> | null = null;
  const redeclareIfLost = (): Promise<void> =>
    (checking ??= (async () => {
      if ((await opts.connection.exists(sentinel)) === 1) return;
      log.warn("Redis lost the job schedules (restarted without its data?): declaring them again");
      await declare();
      log.info("job schedules declared again", { schedules: schedules.length });
    })()
      .catch((err: unknown) => log.warn("could not check or declare the job schedules", { error: probeErrorMessage(err) }))
      .finally(() => (checking = null)));
  let checkTimer: NodeJS.Timeout | null = null;
  const onReady = () => void redeclareIfLost();
  // The caller disconnects the control database once `close()` resolves, and Prisma's disconnect
  // never resolves while an updateMany (run in a transaction of its own) is in flight: it leaves
  // the transaction open and waits for its connection forever. So close() waits for these writes.
  const recording = new Set<Promise<void>>();
  let recordingStopped = false;
  if (schedules.length > 0) {
    await declare();
    // A periodic check, because a flush leaves the connection up; 'ready' answers a restart at once.
    checkTimer = setInterval(() => void redeclareIfLost(), opts.scheduleCheckMs ?? 5_000);
    checkTimer.unref();
    opts.connection.on("ready", onReady);
    worker.on("completed", (job) => {
      // A job that ends after close() stopped waiting for it is not recorded: the database may be
      // closing; the next run records the schedule as alive.
      if (recordingStopped || !job.repeatJobKey || !scheduled.has(job.name)) return;
      const write = recordPeriodicRun(deps.db, job.name, new Date(job.finishedOn ?? Date.now())).catch((err: unknown) =>
        log.warn("could not record a periodic job's run", { job: job.name, error: probeErrorMessage(err) }),
      );
      recording.add(write);
      void write.finally(() => recording.delete(write));
    });
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
    // Channels restored by keepSubscribed, not by ioredis (see there).
    subscriber = opts.connection.duplicate({ autoResubscribe: false });
    subscriber.on("error", (err) => log.warn("lifecycle subscription error", { error: probeErrorMessage(err) }));
    subscriber.on("message", () => hinted.hint());
    await keepSubscribed(subscriber, [lifecycleChannel(opts.prefix)], (err) => log.warn("lifecycle subscription lost; retried at the next reconnect", { error: probeErrorMessage(err) }));
  }

  return {
    worker,
    queue,
    async close() {
      if (checkTimer) clearInterval(checkTimer);
      opts.connection.off("ready", onReady);
      await checking;
      scan?.stop();
      subscriber?.disconnect();
      const graceMs = opts.shutdownGraceMs ?? 30_000;
      const closing = worker.close();
      // A job that outlives the grace (a handler stuck on a slow host, a long copy) must not hold a
      // stopping worker forever: cancel it, and if even that does not end it, stop without it.
      const cancel = setTimeout(() => {
        log.warn("jobs still running after the shutdown grace period; cancelling them", { graceMs });
        worker.cancelAllJobs("the worker is stopping");
      }, graceMs);
      closing.catch((err: unknown) => log.warn("worker close failed", { error: probeErrorMessage(err) }));
      // BullMQ's close cannot be upgraded to a forced one once begun, so past twice the grace the
      // worker stops waiting for it (the process exits or the caller moves on). Only giving up is
      // swallowed: a close that fails must still fail the stop.
      const gaveUp = new Error("the worker's close outlived twice the shutdown grace");
      try {
        await withTimeout(closing, 2 * graceMs, () => gaveUp).catch((err: unknown) => {
          if (err !== gaveUp) throw err;
          log.error("jobs did not end after cancelling; stopping without waiting for them", { graceMs });
        });
      } finally {
        clearTimeout(cancel);
      }
      recordingStopped = true;
      await withTimeout(Promise.all(recording), graceMs, "recording the periodic jobs' last runs").catch((err: unknown) =>
        log.warn("stopping before the periodic jobs' last runs were recorded", { error: probeErrorMessage(err) }),
      );
      await queue.close();
    },
  };
}

interface PeriodicSchedule {
  name: JobName;
  everyMs: number;
  /** Creates or updates the schedule in Redis; idempotent, so every worker may call it at any time. */
  declare(): Promise<void>;
}

interface PeriodicSchedules {
  on: PeriodicSchedule[];
  /** Schedules a period of 0 turned off: removed wherever an earlier worker left them. */
  off: JobName[];
}

/** The worker's periodic jobs and their periods, and those turned off. */
function periodicSchedules(queue: JobQueue, opts: WorkerOptions): PeriodicSchedules {
  const every = <N extends JobName>(name: N, everyMs: number, payload?: JobPayload<N>, o?: { firstAfterMs?: number }): PeriodicSchedule & { optional: boolean } => ({
    name,
    everyMs,
    optional: false,
    declare: () => scheduleRepeating(queue, name, everyMs, payload, o),
  });
  /** A schedule that a period of 0 turns off. */
  const optional = <N extends JobName>(name: N, everyMs: number, payload?: JobPayload<N>, o?: { firstAfterMs?: number }) => ({
    ...every(name, everyMs, payload, o),
    optional: true,
  });
  const trainEveryMs = opts.trainEveryMs ?? 6 * 3_600_000;
  const preallocTrainEveryMs = opts.preallocTrainEveryMs ?? 3_600_000;
  const all = [
    every("shardlet.accounting", opts.accountingEveryMs),
    every("host.health", opts.healthEveryMs),
    every("shardlet.manager", opts.managerEveryMs ?? 5_000),
    every("overflow.drain", opts.drainEveryMs ?? 5_000),
    every("analyzer.run", opts.analyzerEveryMs ?? 30_000, { trigger: "schedule" }),
    optional("orchestrator.run", opts.orchestratorEveryMs ?? 30_000, { trigger: "schedule" }),
    optional("cache.correlate", opts.correlateEveryMs ?? 10_000),
    optional("placement.run", opts.placementEveryMs ?? 60_000, { trigger: "schedule" }),
    optional("replica.sync", opts.replicaSyncEveryMs ?? 2_000),
    optional("prealloc.run", opts.preallocEveryMs ?? 5_000),
    // Not at start: there is no history to learn from yet, and the edges start from the prior anyway.
    optional("prealloc.train", preallocTrainEveryMs, { trigger: "schedule" }, { firstAfterMs: Math.min(preallocTrainEveryMs, 5 * 60_000) }),
    // Not at start: training takes the CPU for a while, and until a trained version qualifies the
    // baselines serve anyway. Operators can train at once from the console.
    optional("model.train", trainEveryMs, { kind: "all", trigger: "schedule" }, { firstAfterMs: trainEveryMs }),
    every("rebalance.plan", opts.rebalanceEveryMs ?? 30_000),
    every("migration.scheduler", opts.migrationSchedulerEveryMs ?? 5_000),
    every("telemetry.rollup", opts.telemetryRollupEveryMs ?? 10_000),
    every("host.resources", opts.hostResourcesEveryMs ?? 30_000),
    every("consumer.checkpoint", opts.checkpointEveryMs ?? DEFAULT_CHECKPOINT_EVERY_MS),
    every("housekeeping", 10 * 60_000),
    every("retention.enforce", opts.retentionEveryMs ?? 60_000),
  ];
  const isOff = (s: { optional: boolean; everyMs: number }) => s.optional && s.everyMs <= 0;
  return {
    on: all.filter((s) => !isOff(s)),
    off: all.filter(isOff).map((s) => s.name),
  };
}
