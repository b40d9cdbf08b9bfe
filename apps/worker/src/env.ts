import { CHECKPOINT_EVERY_SEC, ShardcastError, redisPrefixSchema } from "@shardcast/core";
import { metricsTokenSchema } from "@shardcast/runtime/metrics";
import { checkRedisSentinelEnv, redisSentinelEnvShape, sequenceLeaseEnvShape } from "@shardcast/runtime/redis-env";
import { z } from "zod";

const intMs = (fallback: number) => z.coerce.number().int().min(100).max(24 * 3_600_000).default(fallback);
/** A period that 0 turns off. */
const intMsOrOff = (fallback: number) =>
  z.coerce.number().int().max(24 * 3_600_000).refine((v) => v === 0 || v >= 100, "must be 0 (off) or at least 100 ms").default(fallback);

const schema = z.object({
  DATABASE_URL: z.string().min(1, "DATABASE_URL is required (the control database)"),
  REDIS_URL: z.string().min(1).default("redis://127.0.0.1:6379"),
  ...redisSentinelEnvShape,
  SHARDCAST_REDIS_PREFIX: redisPrefixSchema,
  /** The edges' sequence lease: the worker reads the watermark too, and must hold it as long. */
  ...sequenceLeaseEnvShape,
  /** Comma-separated Redis masters for the op-locks (Redlock); defaults to REDIS_URL. */
  SHARDCAST_LOCK_REDIS_URLS: z.string().min(1).optional(),
  SHARDCAST_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  SHARDCAST_ACCOUNTING_EVERY_MS: intMs(5_000),
  SHARDCAST_HEALTH_EVERY_MS: intMs(10_000),
  /** Shardlet manager scan period (splits, merges, resuming stalled jobs). */
  SHARDCAST_MANAGER_EVERY_MS: intMs(5_000),
  /** Overflow drain sweep period. */
  SHARDCAST_DRAIN_EVERY_MS: intMs(5_000),
  /** Rebalancer planning period (proposals, drains, "why not" notes). */
  SHARDCAST_REBALANCE_EVERY_MS: intMs(30_000),
  /** Migration scheduler period (starts approved migrations, resumes ones a dead worker left). */
  SHARDCAST_MIGRATION_SCHEDULER_EVERY_MS: intMs(5_000),
  /** Retention period: partitions created ahead, stream starts moved past expired events, expired partitions dropped. */
  SHARDCAST_RETENTION_EVERY_MS: intMs(60_000),
  /** Telemetry rollup period (edges' counters from Redis into PostgreSQL). */
  SHARDCAST_TELEMETRY_ROLLUP_EVERY_MS: intMs(10_000),
  /** Host resource sampling period (PostgreSQL statistics of every host). */
  SHARDCAST_HOST_RESOURCES_EVERY_MS: intMs(30_000),
  /** How far back the measured capacity looks: a host's slow spell is forgotten after this long (s). */
  SHARDCAST_CAPACITY_WINDOW_SEC: z.coerce.number().int().min(60).max(86_400).default(6 * 3_600),
  /** A host counts as saturated when its writers' ack latency passes this multiple of its low-load latency. */
  SHARDCAST_CAPACITY_KNEE_FACTOR: z.coerce.number().min(1.2).max(20).default(2),
  /** Predictive load analyzer period (forecasts, proposals, the scale signal). */
  SHARDCAST_ANALYZER_EVERY_MS: intMs(30_000),
  /** Orchestrator period: health scores, split/move proposals and notes (skipped while the profiler setting `enabled` is off); 0 turns the schedule off. */
  SHARDCAST_ORCHESTRATOR_EVERY_MS: intMsOrOff(30_000),
  /** Event correlation period: learns which event types announce reads of which shardlets and publishes the prefetch map; 0 turns the schedule off. */
  SHARDCAST_CORRELATE_EVERY_MS: intMsOrOff(10_000),
  SHARDCAST_PLACEMENT_EVERY_MS: intMsOrOff(60_000),
  /** Read-replica sync period: how far behind its shardlet a replica may fall (reads past it go to the shardlet's host); 0 turns the schedule off. */
  SHARDCAST_REPLICA_SYNC_EVERY_MS: intMsOrOff(2_000),
  /** Pre-allocator period: reads the edges' surge predictions and prepares what the cost model chooses (nothing while aggressiveness is 0); 0 turns the schedule off. */
  SHARDCAST_PREALLOC_EVERY_MS: intMsOrOff(5_000),
  /** Period of the content model's cold-start training on stored history (the first run after at most 5 minutes); 0 trains on demand only. */
  SHARDCAST_PREALLOC_TRAIN_EVERY_MS: intMsOrOff(3_600_000),
  SHARDCAST_CHECKPOINT_EVERY_MS: intMs(CHECKPOINT_EVERY_SEC * 1_000),
  /** Forecasting model retraining period (the first run one period after it is first scheduled); 0 turns the schedule off. */
  SHARDCAST_TRAIN_EVERY_MS: z.coerce.number().int().refine((v) => v === 0 || (v >= 60_000 && v <= 7 * 24 * 3_600_000), "must be 0 (off) or 60000..604800000 ms").default(6 * 3_600_000),
  /** LSTM training epochs per run (early stopping keeps the best epoch). */
  SHARDCAST_TRAIN_EPOCHS: z.coerce.number().int().min(1).max(1_000).default(30),
  /** Telemetry step (s) and season length (steps) the models train on; default the analyzer's settings. */
  SHARDCAST_TRAIN_BUCKET_SEC: z.coerce.number().int().min(10).max(86_400).optional(),
  SHARDCAST_TRAIN_PERIOD: z.coerce.number().int().min(1).max(100_000).optional(),
  /** Folder of the shipped traces, the pre-training corpus while telemetry is short (default data/traces of the source tree). */
  SHARDCAST_TRACES_DIR: z.string().min(1).optional(),
  /**
   * How an approved add-host proposal gets its host: `embedded` creates a database on the control
   * database's server, `command` runs SHARDCAST_PROVISION_COMMAND, `webhook` POSTs to
   * SHARDCAST_PROVISION_WEBHOOK, `off` only records the approval. Unset: command or webhook when
   * one is configured, else embedded.
   */
  SHARDCAST_PROVISION: z.enum(["embedded", "command", "webhook", "off"]).optional(),
  /** Program and arguments, a JSON array (["/usr/local/bin/add-host", "--zone", "b"]) or words split on spaces. */
  SHARDCAST_PROVISION_COMMAND: z.string().min(1).optional(),
  SHARDCAST_PROVISION_WEBHOOK: z.url({ protocol: /^https?$/, error: "SHARDCAST_PROVISION_WEBHOOK must be an http(s) URL" }).optional(),
  SHARDCAST_PROVISION_TIMEOUT_MS: intMs(5 * 60_000),
  /** How long drained overflow rows are kept for readers merging across logs. */
  SHARDCAST_OVERFLOW_GRACE_MS: intMs(60_000),
  /** How long edges may hold a hand-off's writes back for its switch before they take the overflow log (0: at once). */
  SHARDCAST_HANDOFF_HOLD_MS: z.coerce.number().int().min(0).max(5_000).default(250),
  /** The same for a split's or merge's writes (0: to the overflow log at once). */
  SHARDCAST_SPLIT_HOLD_MS: z.coerce.number().int().min(0).max(5_000).default(250),
  /** Metric samples (the console's charts) are kept this many hours. */
  SHARDCAST_METRICS_RETENTION_HOURS: z.coerce.number().positive().max(24 * 366).default(24),
  SHARDCAST_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  /** Port of `/livez`, `/readyz` and `/metrics`; 0 turns the health server off. */
  SHARDCAST_WORKER_HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  SHARDCAST_WORKER_HEALTH_HOST: z.string().min(1).default("127.0.0.1"),
  /** When set, `/metrics` needs `Authorization: Bearer <token>`. */
  SHARDCAST_METRICS_TOKEN: metricsTokenSchema,
}).superRefine(checkRedisSentinelEnv);

export type WorkerEnv = z.infer<typeof schema>;

/**
 * The worker's configuration. Empty variables count as unset. Errors name the variable and the
 * rule, never the value (URLs carry passwords).
 */
export function loadEnv(source: Record<string, string | undefined> = process.env): WorkerEnv {
  const present = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v.trim() !== ""));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new ShardcastError("bad_request", `invalid worker configuration: ${problems}`);
  }
  return parsed.data;
}
