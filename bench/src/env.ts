import { z } from "zod";

const schema = z.object({
  REDIS_URL: z.string().optional(),
  /** Directory for a CPU profile of the (first) edge process of any suite (diagnostics). */
  SHARDCAST_BENCH_EDGE_PROFILE_DIR: z.string().optional(),
  /** NATS with JetStream for the ingest suite's peer comparison; skipped with a note when none answers. */
  SHARDCAST_BENCH_NATS_URL: z.string().default("nats://127.0.0.1:4222"),
  /**
   * Copying migrations the migration suite runs before its hand-offs (diagnostics: 0 measures the
   * hand-offs alone; the copy keys then read 0). Unset: 2 with --quick, 4 without.
   */
  SHARDCAST_BENCH_MIGRATION_PAIRS: z.coerce.number().int().min(0).max(20).optional(),
  /**
   * The consumers suite's group runs (a diagnostic): how many (unset: 3 with --quick, 5 without),
   * and with `group` only them, without the rebalance, weighting and checkpoint parts.
   */
  SHARDCAST_BENCH_CONSUMERS_RUNS: z.coerce.number().int().min(1).max(50).optional(),
  SHARDCAST_BENCH_CONSUMERS_PARTS: z.enum(["all", "group"]).default("all"),
  /** How long the consumers suite's SDK members' handler waits per batch with events, ms (a handler doing I/O; default 0). */
  SHARDCAST_BENCH_CONSUMERS_HANDLER_MS: z.coerce.number().int().min(0).max(10_000).default(0),
  /** The mover process's cluster (JSON: controlUrl, redisUrl, prefix), set by the suite that spawns it. */
  SHARDCAST_BENCH_MOVER: z.string().optional(),
});

export const benchEnv = schema.parse(process.env);

/** Environment for processes a suite spawns (they validate it themselves). */
export function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...extra };
}

/** Redis of this run: read at call time, after the services setup may have set REDIS_URL. */
export function currentRedisUrl(): string {
  return process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
}
