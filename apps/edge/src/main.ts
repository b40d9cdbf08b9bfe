import { createLogger, redisTargetFromEnv } from "@shardcast/runtime";
import { createEdge } from "./app.ts";
import { loadEnv } from "./env.ts";

const env = loadEnv();
const log = createLogger({ app: "edge" }, { level: env.SHARDCAST_LOG_LEVEL });
const edge = createEdge({
  databaseUrl: env.DATABASE_URL,
  redisUrl: env.REDIS_URL,
  redisSentinel: redisTargetFromEnv(env).sentinel,
  redisPrefix: env.SHARDCAST_REDIS_PREFIX,
  lockRedisUrls: env.SHARDCAST_LOCK_REDIS_URLS,
  routingRefreshMs: env.SHARDCAST_ROUTING_REFRESH_MS,
  lockResyncMs: env.SHARDCAST_LOCK_RESYNC_MS,
  hostPoolSize: env.SHARDCAST_HOST_POOL_SIZE,
  telemetryFlushMs: env.SHARDCAST_TELEMETRY_FLUSH_MS,
  sequenceLeaseMs: env.SHARDCAST_SEQUENCE_LEASE_MS,
  apiKeyCache: {
    ttlMs: env.SHARDCAST_API_KEY_CACHE_TTL_MS,
    maxEntries: env.SHARDCAST_API_KEY_CACHE_SIZE,
    negativeTtlMs: env.SHARDCAST_API_KEY_NEGATIVE_TTL_MS,
    maxNegativeEntries: env.SHARDCAST_API_KEY_NEGATIVE_CACHE_SIZE,
  },
  shutdownGraceMs: env.SHARDCAST_SHUTDOWN_GRACE_MS,
  metricsToken: env.SHARDCAST_METRICS_TOKEN,
  readCache: {
    maxBytes: Math.round(env.SHARDCAST_EDGE_CACHE_MB * 1024 * 1024),
    prefetchBytesPerSec: Math.round(env.SHARDCAST_EDGE_PREFETCH_MB_PER_SEC * 1024 * 1024),
    groupReadAhead: env.SHARDCAST_EDGE_GROUP_READ_AHEAD === "on",
  },
  limits: {
    maxBatchEvents: env.SHARDCAST_MAX_BATCH_EVENTS,
    maxEventBytes: env.SHARDCAST_MAX_EVENT_BYTES,
    maxKeyLength: env.SHARDCAST_MAX_KEY_LENGTH,
    maxTypeLength: 128,
    maxIdLength: 128,
    maxBodyBytes: env.SHARDCAST_MAX_BODY_BYTES,
  },
  maxActiveHintsPerStream: env.SHARDCAST_MAX_ACTIVE_HINTS_PER_STREAM,
  maxGroupsPerStream: env.SHARDCAST_MAX_GROUPS_PER_STREAM,
  replicaRouting: {
    policy: env.SHARDCAST_REPLICA_ROUTING,
    floorShare: env.SHARDCAST_REPLICA_ROUTING_FLOOR,
    halfLifeMs: env.SHARDCAST_REPLICA_ROUTING_HALF_LIFE_MS,
    halfLifeReads: env.SHARDCAST_REPLICA_ROUTING_HALF_LIFE_READS,
  },
  prealloc: { enabled: env.SHARDCAST_PREALLOC_MODEL === "on", publishMs: env.SHARDCAST_PREALLOC_PUBLISH_MS },
  log,
});

const port = await edge.listen(env.SHARDCAST_EDGE_PORT, env.SHARDCAST_EDGE_HOST);
log.info("edge ready", { url: `http://${env.SHARDCAST_EDGE_HOST}:${port}` });

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  log.info("edge stopping", { signal, graceMs: env.SHARDCAST_SHUTDOWN_GRACE_MS });
  // close() cuts connections at the grace deadline; this bounds the releases that follow it.
  setTimeout(() => {
    log.error("edge stop timed out; exiting");
    process.exit(1);
  }, env.SHARDCAST_SHUTDOWN_GRACE_MS + 15_000).unref();
  edge.close().then(
    () => process.exit(0),
    (err: unknown) => {
      log.error("edge stop failed", { err });
      process.exit(1);
    },
  );
};
process.on("SIGINT", () => stop("SIGINT"));
process.on("SIGTERM", () => stop("SIGTERM"));
