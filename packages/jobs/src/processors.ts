import { ShardcastError } from "@shardcast/core";
import { UnrecoverableError, Worker, type ConnectionOptions, type Job, type Processor } from "bullmq";
import { isJobName, jobCatalog, type AnyJobPayload, type JobName, type JobPayload } from "./catalog.ts";
import { DEFAULT_QUEUE_NAME, KEEP_COMPLETED, KEEP_FAILED, queuePrefix, validatePayload, type QueueLocation } from "./queue.ts";

export interface JobContext<N extends JobName = JobName> {
  name: N;
  id: string;
  /** 1 on the first try. */
  attempt: number;
  /** Aborted on the catalog timeout or when the worker cancels the job; stop before the next step. */
  signal: AbortSignal;
  job: Job<AnyJobPayload, unknown, JobName>;
}

export type JobHandler<N extends JobName> = (payload: JobPayload<N>, ctx: JobContext<N>) => Promise<unknown>;

/** One handler per catalog entry: leaving one out (or adding an unknown one) does not compile. */
export type JobHandlers = { [N in JobName]: JobHandler<N> };

export type JobProcessor = Processor<AnyJobPayload, unknown, JobName>;

export interface ProcessorOptions {
  /** Per-job timeout overrides (ms); the catalog's value applies otherwise. */
  timeoutMs?: Partial<Record<JobName, number>>;
}

/**
 * The BullMQ processor for the whole catalog: re-validates the payload (a job may have been queued
 * by an older release), dispatches by name and enforces the catalog timeout through the signal.
 * Malformed or unknown jobs fail without retries.
 */
export function registerProcessors(handlers: JobHandlers, opts: ProcessorOptions = {}): JobProcessor {
  return async (job, _token, cancel) => {
    const name: string = job.name;
    if (!isJobName(name)) throw new UnrecoverableError(`unknown job "${name}"`);
    let payload: unknown;
    try {
      payload = validatePayload(name, job.data);
    } catch (error) {
      throw new UnrecoverableError(error instanceof Error ? error.message : String(error));
    }
    const timeoutMs = opts.timeoutMs?.[name] ?? jobCatalog[name].timeoutMs;
    const controller = new AbortController();
    const onCancel = () => controller.abort(cancel?.reason ?? new ShardcastError("unavailable", `job "${name}" was cancelled`));
    if (cancel?.aborted) onCancel();
    cancel?.addEventListener("abort", onCancel, { once: true });
    const timer = setTimeout(
      () => controller.abort(new ShardcastError("unavailable", `job "${name}" timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    // The mapped type guarantees handlers[name] matches name; TypeScript cannot correlate the two.
    const handler = handlers[name] as (payload: unknown, ctx: JobContext) => Promise<unknown>;
    const ctx: JobContext = { name, id: job.id ?? "", attempt: job.attemptsMade + 1, signal: controller.signal, job };
    const reason = () => (controller.signal.reason instanceof Error ? controller.signal.reason : new Error("aborted"));
    // Listens before the handler does, so an abort always wins over what the handler does on abort.
    const aborted = new Promise<never>((_, reject) => {
      if (controller.signal.aborted) reject(reason());
      else controller.signal.addEventListener("abort", () => reject(reason()), { once: true });
    });
    aborted.catch(() => undefined);
    try {
      const work = handler(payload, ctx);
      // A handler that ignores the signal keeps running; its late rejection must not go unhandled.
      work.catch(() => undefined);
      return await Promise.race([aborted, work]);
    } finally {
      clearTimeout(timer);
      cancel?.removeEventListener("abort", onCancel);
    }
  };
}

export interface WorkerOptions extends QueueLocation, ProcessorOptions {
  concurrency?: number;
  /** Start pulling jobs immediately (default). Tests may start later with `worker.run()`. */
  autorun?: boolean;
}

export type JobWorker = Worker<AnyJobPayload, unknown, JobName>;

/** A BullMQ worker over the catalog. The connection must allow `maxRetriesPerRequest: null`. */
export function createJobWorker(connection: ConnectionOptions, opts: WorkerOptions, handlers: JobHandlers): JobWorker {
  return new Worker<AnyJobPayload, unknown, JobName>(opts.queueName ?? DEFAULT_QUEUE_NAME, registerProcessors(handlers, opts), {
    connection,
    prefix: queuePrefix(opts.prefix),
    concurrency: opts.concurrency ?? 4,
    autorun: opts.autorun ?? true,
    removeOnComplete: KEEP_COMPLETED,
    removeOnFail: KEEP_FAILED,
  });
}
