import { JOB_NAMES, type JobQueue, type JobWorker } from "@shardcast/jobs";
import { Counter, createMetricsRegistry, Gauge, Histogram, type Registry } from "@shardcast/runtime/metrics";

/** Job durations span a health probe (milliseconds) to a model training run (minutes). */
const JOB_BUCKETS = [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3_600];

/** How long a scrape reuses the migration counts, so frequent scrapers cost one query per period. */
const MIGRATION_CACHE_MS = 5_000;

const KNOWN_JOBS = new Set<string>(JOB_NAMES);

/**
 * The worker's Prometheus metrics: job attempts and their durations per job name (the catalog's
 * names only), migrations per phase read from the control database when scraped, and BullMQ's own
 * queue gauges appended to the exposition.
 */
export class WorkerMetrics {
  readonly registry: Registry;
  private readonly jobs: Counter<"job" | "outcome">;
  private readonly durations: Histogram<"job" | "outcome">;

  constructor(opts: { migrationsByPhase: () => Promise<Map<string, number>>; clock?: () => number }) {
    const clock = opts.clock ?? Date.now;
    const registry = createMetricsRegistry();
    this.registry = registry;
    const registers = [registry];
    this.jobs = new Counter({
      name: "shardcast_worker_jobs_total",
      help: "Job attempts this worker finished, by job name and outcome (completed, failed; a retried job counts each failed attempt)",
      labelNames: ["job", "outcome"],
      registers,
    });
    this.durations = new Histogram({
      name: "shardcast_worker_job_duration_seconds",
      help: "Time from a job attempt's start to its end on this worker, by job name and outcome",
      labelNames: ["job", "outcome"],
      buckets: JOB_BUCKETS,
      registers,
    });
    let cached: { at: number; counts: Map<string, number> } | null = null;
    new Gauge({
      name: "shardcast_migrations",
      help: "Migrations in the control database by phase (the whole cluster, not this worker)",
      labelNames: ["phase"],
      registers,
      async collect() {
        const now = clock();
        if (!cached || now - cached.at >= MIGRATION_CACHE_MS) cached = { at: now, counts: await opts.migrationsByPhase() };
        this.reset();
        for (const [phase, n] of cached.counts) this.set({ phase }, n);
      },
    });
  }

  /** Counts the worker's finished attempts; durations come from BullMQ's own start and end stamps. */
  watch(worker: JobWorker): void {
    const record = (name: string, outcome: "completed" | "failed", processedOn: number | undefined, finishedOn: number | undefined) => {
      const job = KNOWN_JOBS.has(name) ? name : "_other";
      this.jobs.inc({ job, outcome });
      if (processedOn !== undefined && finishedOn !== undefined) this.durations.observe({ job, outcome }, Math.max(0, finishedOn - processedOn) / 1000);
    };
    worker.on("completed", (job) => record(job.name, "completed", job.processedOn, job.finishedOn));
    worker.on("failed", (job) => {
      // BullMQ reports a failure without a job when the job's data could not be read at all.
      record(job?.name ?? "_other", "failed", job?.processedOn, job?.finishedOn);
    });
  }
}

/**
 * BullMQ's queue gauges (`bullmq_job_count` by state). Its completed and failed totals are left
 * out: they need BullMQ's metrics option, which the worker does not turn on, and the worker's own
 * counters above say the same per job name.
 */
export async function queueMetricsText(queue: JobQueue): Promise<string> {
  const text = await queue.exportPrometheusMetrics();
  const keep: string[] = [];
  for (const line of text.split("\n")) {
    if (/^(# (HELP|TYPE) )?bullmq_job_count\b/.test(line)) keep.push(line);
  }
  return keep.length > 0 ? `${keep.join("\n")}\n` : "";
}
