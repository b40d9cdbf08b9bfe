import { ShardcastError, redisPrefixSchema } from "@shardcast/core";
import { z } from "zod";

const intMs = (fallback: number) => z.coerce.number().int().min(100).max(24 * 3_600_000).default(fallback);

const schema = z.object({
  DATABASE_URL: z.string().min(1, "DATABASE_URL is required (the control database)"),
  REDIS_URL: z.string().min(1).default("redis://127.0.0.1:6379"),
  SHARDCAST_REDIS_PREFIX: redisPrefixSchema,
  /** Comma-separated Redis masters for the op-locks (Redlock); defaults to REDIS_URL. */
  SHARDCAST_LOCK_REDIS_URLS: z.string().min(1).optional(),
  SHARDCAST_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  SHARDCAST_ACCOUNTING_EVERY_MS: intMs(5_000),
  SHARDCAST_HEALTH_EVERY_MS: intMs(10_000),
  /** Shardlet manager scan period (splits, merges, resuming stalled jobs). */
  SHARDCAST_MANAGER_EVERY_MS: intMs(5_000),
  /** Overflow drain sweep period. */
  SHARDCAST_DRAIN_EVERY_MS: intMs(5_000),
  /** How long drained overflow rows are kept for readers merging across logs. */
  SHARDCAST_OVERFLOW_GRACE_MS: intMs(60_000),
  /** Metric samples (the console's charts) are kept this many hours. */
  SHARDCAST_METRICS_RETENTION_HOURS: z.coerce.number().positive().max(24 * 366).default(24),
  SHARDCAST_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
});

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
