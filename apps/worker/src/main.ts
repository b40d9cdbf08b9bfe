import { countMigrationsByPhase, createControlDb, HostPool, pingControlDb, reserveSequence, upgradeHostSchemas } from "@shardcast/db";
import { createLogger } from "@shardcast/runtime/logger";
import { createRedis, publishRoutingChange, redisTargetFromEnv } from "@shardcast/runtime/redis";
import { SequenceAllocator } from "@shardcast/runtime/sequence";
import { createOpLockClients, createOpLocks } from "@shardcast/runtime/oplock";
import { startOpsServer, type OpsServer } from "@shardcast/runtime/metrics";
import { loadEnv } from "./env.ts";
import { probeErrorMessage } from "./domain/health.ts";
import { startWorker } from "./worker.ts";
import { provisionConfig } from "./analyzer/provision-config.ts";
import { queueMetricsText, WorkerMetrics } from "./telemetry/metrics.ts";

const env = loadEnv();
const log = createLogger({ service: "worker" }, { level: env.SHARDCAST_LOG_LEVEL });

const db = createControlDb(env.DATABASE_URL);
const hosts = new HostPool(db, { onError: (err) => log.warn("storage host connection error", { error: probeErrorMessage(err) }) });
const redisTarget = redisTargetFromEnv(env);
const connection = createRedis(redisTarget, { forBullmq: true, name: "shardcast-worker" });
connection.on("error", (err) => log.warn("redis connection error", { error: probeErrorMessage(err) }));
// Lock changes are announced on the main Redis, where edges listen, whichever masters hold locks.
// A command client (bounded retries) so an outage fails the announcement instead of hanging it.
const announcer = createRedis(redisTarget, { name: "shardcast-worker-announce" });
announcer.on("error", (err) => log.warn("redis connection error", { error: probeErrorMessage(err) }));
const lockClients = createOpLockClients(env.SHARDCAST_LOCK_REDIS_URLS, redisTarget);
for (const c of lockClients) c.on("error", (err) => log.warn("op-lock redis error", { error: probeErrorMessage(err) }));
const opLocks = createOpLocks(lockClients, { prefix: env.SHARDCAST_REDIS_PREFIX, publisher: announcer, log });

// The mover verifies sequence ranges below the read watermark (the edges' allocator, same keys).
const sequences = new SequenceAllocator(announcer, {
  prefix: env.SHARDCAST_REDIS_PREFIX,
  leaseMs: env.SHARDCAST_SEQUENCE_LEASE_MS,
  reserve: (streamId, atLeast, step) => reserveSequence(db, streamId, atLeast, step),
});

// Hosts registered by an older version get the current host schema before any job touches them.
await upgradeHostSchemas(db, (line) => log.warn(line));

/** How often each periodic job runs (also logged at start). */
const schedule = {
  accountingEveryMs: env.SHARDCAST_ACCOUNTING_EVERY_MS,
  healthEveryMs: env.SHARDCAST_HEALTH_EVERY_MS,
  managerEveryMs: env.SHARDCAST_MANAGER_EVERY_MS,
  drainEveryMs: env.SHARDCAST_DRAIN_EVERY_MS,
  telemetryRollupEveryMs: env.SHARDCAST_TELEMETRY_ROLLUP_EVERY_MS,
  hostResourcesEveryMs: env.SHARDCAST_HOST_RESOURCES_EVERY_MS,
  rebalanceEveryMs: env.SHARDCAST_REBALANCE_EVERY_MS,
  analyzerEveryMs: env.SHARDCAST_ANALYZER_EVERY_MS,
  orchestratorEveryMs: env.SHARDCAST_ORCHESTRATOR_EVERY_MS,
  correlateEveryMs: env.SHARDCAST_CORRELATE_EVERY_MS,
  placementEveryMs: env.SHARDCAST_PLACEMENT_EVERY_MS,
  replicaSyncEveryMs: env.SHARDCAST_REPLICA_SYNC_EVERY_MS,
  preallocEveryMs: env.SHARDCAST_PREALLOC_EVERY_MS,
  preallocTrainEveryMs: env.SHARDCAST_PREALLOC_TRAIN_EVERY_MS,
  checkpointEveryMs: env.SHARDCAST_CHECKPOINT_EVERY_MS,
  migrationSchedulerEveryMs: env.SHARDCAST_MIGRATION_SCHEDULER_EVERY_MS,
  retentionEveryMs: env.SHARDCAST_RETENTION_EVERY_MS,
  trainEveryMs: env.SHARDCAST_TRAIN_EVERY_MS,
};
const running = await startWorker(
  {
    db,
    hosts,
    log,
    clock: Date.now,
    opLocks,
    announce: (streamId, patch) => publishRoutingChange(announcer, env.SHARDCAST_REDIS_PREFIX, streamId, patch),
    lifecycle: { overflowGraceMs: env.SHARDCAST_OVERFLOW_GRACE_MS, handoffHoldMs: env.SHARDCAST_HANDOFF_HOLD_MS, splitHoldMs: env.SHARDCAST_SPLIT_HOLD_MS },
    migration: { watermark: (streamId) => sequences.watermark(streamId) },
    metricsRetentionMs: env.SHARDCAST_METRICS_RETENTION_HOURS * 3_600_000,
    provision: provisionConfig(env),
    capacityEstimate: { windowMs: env.SHARDCAST_CAPACITY_WINDOW_SEC * 1000, kneeFactor: env.SHARDCAST_CAPACITY_KNEE_FACTOR },
    training: {
      epochs: env.SHARDCAST_TRAIN_EPOCHS,
      ...(env.SHARDCAST_TRAIN_BUCKET_SEC ? { bucketSec: env.SHARDCAST_TRAIN_BUCKET_SEC } : {}),
      ...(env.SHARDCAST_TRAIN_PERIOD ? { period: env.SHARDCAST_TRAIN_PERIOD } : {}),
      ...(env.SHARDCAST_TRACES_DIR ? { tracesDir: env.SHARDCAST_TRACES_DIR } : {}),
    },
  },
  {
    connection,
    prefix: env.SHARDCAST_REDIS_PREFIX,
    concurrency: env.SHARDCAST_WORKER_CONCURRENCY,
    ...schedule,
  },
);
const metrics = new WorkerMetrics({ migrationsByPhase: () => countMigrationsByPhase(db) });
metrics.watch(running.worker);
let stopping = false;
let health: OpsServer | null = null;
if (env.SHARDCAST_WORKER_HEALTH_PORT > 0) {
  try {
    health = await startOpsServer(env.SHARDCAST_WORKER_HEALTH_PORT, env.SHARDCAST_WORKER_HEALTH_HOST, {
      registry: metrics.registry,
      ready: async () => {
        await Promise.all([pingControlDb(db), connection.ping()]);
      },
      draining: () => stopping,
      metricsToken: env.SHARDCAST_METRICS_TOKEN,
      extraMetrics: () => queueMetricsText(running.queue),
      log,
    });
  } catch (err) {
    // The jobs matter more than their health port: run without it (a liveness probe will say so).
    log.error("worker health port could not listen; running without it", {
      port: env.SHARDCAST_WORKER_HEALTH_PORT,
      error: probeErrorMessage(err),
    });
  }
}

log.info("worker ready", {
  healthPort: health?.port ?? "off",
  concurrency: env.SHARDCAST_WORKER_CONCURRENCY,
  ...schedule,
  provisioning: provisionConfig(env).mode,
  lockMasters: lockClients.length,
});

async function shutdown(signal: string): Promise<void> {
  // A runner may relay the terminal's signal a second time; the timer below bounds the wait.
  if (stopping) return;
  stopping = true;
  log.info("worker stopping", { signal });
  // A job stuck past its own timeout must not keep the process alive forever.
  const force = setTimeout(() => {
    log.error("worker shutdown timed out; exiting");
    process.exit(1);
  }, 30_000);
  force.unref();
  try {
    await running.close();
    // Last, so readiness answers 503 (stopping) for as long as the jobs take to finish.
    await health?.close();
    await opLocks.close();
    await db.$disconnect();
    await hosts.closeAll();
    await Promise.all([connection, announcer, ...lockClients].map((c) => c.quit().catch(() => c.disconnect())));
    log.info("worker stopped");
    process.exitCode = 0;
  } catch (err) {
    log.error("worker shutdown failed", { error: probeErrorMessage(err) });
    process.exitCode = 1;
  }
}
// `on`, not `once`: a runner (tsx) exits the process on a signal when no listener is left.
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("SIGTERM", () => void shutdown("SIGTERM"));
