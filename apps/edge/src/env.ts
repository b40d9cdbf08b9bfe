import { z } from "zod";
import { DEFAULT_INGEST_LIMITS, redisPrefixSchema } from "@shardcast/core";
import { MAX_ACTIVE_HINTS_PER_STREAM } from "@shardcast/db";
import { DEFAULT_ACTIVE_HINTS_PER_STREAM } from "./telemetry/hints.ts";
import { DEFAULT_MAX_GROUPS_PER_STREAM } from "./consumers/wiring.ts";
import { DEFAULT_REPLICA_ROUTING } from "./consumers/replica-routing.ts";
import { metricsTokenSchema } from "@shardcast/runtime/metrics";
import { checkRedisSentinelEnv, redisSentinelEnvShape, sequenceLeaseEnvShape } from "@shardcast/runtime/redis-env";

const int = (def: number) => z.coerce.number().int().positive().default(def);

const schema = z.object({
  DATABASE_URL: z.string().min(1, "DATABASE_URL is required (the control database)"),
  REDIS_URL: z.string().default("redis://127.0.0.1:6379"),
  ...redisSentinelEnvShape,
  SHARDCAST_REDIS_PREFIX: redisPrefixSchema,
  SHARDCAST_EDGE_HOST: z.string().default("127.0.0.1"),
  SHARDCAST_EDGE_PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  SHARDCAST_LOG_LEVEL: z.enum(["debug", "info", "warn", "error"]).default("info"),
  SHARDCAST_MAX_BATCH_EVENTS: int(DEFAULT_INGEST_LIMITS.maxBatchEvents),
  SHARDCAST_MAX_EVENT_BYTES: int(DEFAULT_INGEST_LIMITS.maxEventBytes),
  SHARDCAST_MAX_KEY_LENGTH: int(DEFAULT_INGEST_LIMITS.maxKeyLength),
  SHARDCAST_MAX_BODY_BYTES: int(DEFAULT_INGEST_LIMITS.maxBodyBytes),
  /** Full routing refresh interval: the safety net behind pub/sub. */
  SHARDCAST_ROUTING_REFRESH_MS: int(30_000),
  /** Full re-read of which shardlets are op-locked (behind the lock/unlock messages). */
  SHARDCAST_LOCK_RESYNC_MS: int(5_000),
  /**
   * The workers' op-lock Redis masters (comma-separated; unset: the main Redis): the re-read must
   * look where the locks are taken, or it forgets them. Empty counts as unset, as for the worker.
   */
  SHARDCAST_LOCK_REDIS_URLS: z
    .string()
    .optional()
    .transform((v) => v?.trim() || undefined),
  /** Connections per storage host held by this edge. */
  SHARDCAST_HOST_POOL_SIZE: int(16),
  /** How often telemetry counters are flushed to Redis. */
  SHARDCAST_TELEMETRY_FLUSH_MS: int(5_000),
  /** How long readers wait, at most, for the sequence block of an edge that died writing it. */
  ...sequenceLeaseEnvShape,
  /** How long a verified API key is served from memory (a revocation or quota change evicts it at once). */
  SHARDCAST_API_KEY_CACHE_TTL_MS: int(30_000),
  /** Most verified API keys held in memory. */
  SHARDCAST_API_KEY_CACHE_SIZE: int(10_000),
  /** How long, and how many, unknown tokens are remembered as unknown. */
  SHARDCAST_API_KEY_NEGATIVE_TTL_MS: int(30_000),
  SHARDCAST_API_KEY_NEGATIVE_CACHE_SIZE: int(10_000),
  /** Most hints of one stream not yet ended at once: a request past it stores nothing (409). */
  SHARDCAST_MAX_ACTIVE_HINTS_PER_STREAM: z.coerce.number().int().min(1).max(MAX_ACTIVE_HINTS_PER_STREAM).default(DEFAULT_ACTIVE_HINTS_PER_STREAM),
  /** Most consumer groups of one stream: a join that would create one more stores nothing (409). */
  SHARDCAST_MAX_GROUPS_PER_STREAM: z.coerce.number().int().min(1).max(100_000).default(DEFAULT_MAX_GROUPS_PER_STREAM),
  /** How long a stopping edge lets requests in flight finish before it cuts their connections. */
  SHARDCAST_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(10_000),
  /** Byte budget of the shard cache in front of consumer reads, in MiB; 0 turns cache and prefetch off. */
  SHARDCAST_EDGE_CACHE_MB: z.coerce.number().min(0).max(65_536).default(64),
  /** Bytes per second the prefetcher may pull into the cache, in MiB. */
  SHARDCAST_EDGE_PREFETCH_MB_PER_SEC: z.coerce.number().positive().max(10_000).default(8),
  /** Whether a consumer group member's next page is read into the cache while it works on a page (needs the cache). */
  SHARDCAST_EDGE_GROUP_READ_AHEAD: z.enum(["on", "off"]).default("on"),
  /** How consumers' range reads choose between a shardlet's host and its read replicas. */
  SHARDCAST_REPLICA_ROUTING: z.enum(["latency", "round-robin"]).default(DEFAULT_REPLICA_ROUTING.policy),
  /** Share of latency-routed reads sent to a target chosen at random, so every target stays measured. */
  SHARDCAST_REPLICA_ROUTING_FLOOR: z.coerce.number().min(0).max(0.5).default(DEFAULT_REPLICA_ROUTING.floorShare),
  /** Half-life of a read's time in a target's latency estimate: how fast a slow target is left and a recovered one used again. */
  SHARDCAST_REPLICA_ROUTING_HALF_LIFE_MS: z.coerce.number().int().min(50).max(600_000).default(DEFAULT_REPLICA_ROUTING.halfLifeMs),
  /** The same in reads of the target: a read's time weighs half after this many later reads of it (whichever halves it sooner). */
  SHARDCAST_REPLICA_ROUTING_HALF_LIFE_READS: z.coerce.number().int().min(1).max(100_000).default(DEFAULT_REPLICA_ROUTING.halfLifeReads),
  /** The content model that predicts surges from what events say (scored after the ack); `off` leaves it out. */
  SHARDCAST_PREALLOC_MODEL: z.enum(["on", "off"]).default("on"),
  /** How often the edge publishes its surge predictions for the pre-allocator. */
  SHARDCAST_PREALLOC_PUBLISH_MS: int(2_000),
  /** When set, `/metrics` needs `Authorization: Bearer <token>` (unset: open, like `/healthz`). */
  SHARDCAST_METRICS_TOKEN: metricsTokenSchema,
}).superRefine(checkRedisSentinelEnv);

export type EdgeEnv = z.infer<typeof schema>;

export function loadEnv(source: Record<string, string | undefined> = process.env): EdgeEnv {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n");
    throw new Error(`invalid edge configuration:\n${lines}`);
  }
  return parsed.data;
}
