import { CHECKPOINT_EVERY_SEC, ForecastGate, ShardcastError } from "@shardcast/core";
import type { JobHandlers, JobQueue } from "@shardcast/jobs";
import type { Redis } from "ioredis";
import type { WorkerDeps } from "../deps.ts";
import { ConsumerProgress, publishReplicaProgress } from "@shardcast/runtime";
import { runConsumerCheckpoint } from "../consumers/checkpoint.ts";
import { LagMemo } from "../consumers/lag-memo.ts";
import { runAnalyzerJob } from "./analyzer-run.ts";
import { runOrchestrator } from "../orchestrator/run.ts";
import { runCorrelation } from "../cache/correlate.ts";
import { runPlacement } from "../placement/run.ts";
import { syncReplicas } from "../replicas/sync.ts";
import { runHostHealth } from "./host-health.ts";
import { runHostProvision } from "./host-provision.ts";
import { runHousekeeping } from "./housekeeping.ts";
import { runRetention } from "./retention-enforce.ts";
import { runHostResources } from "./host-resources.ts";
import { runTelemetryRollup } from "./telemetry-rollup.ts";
import { runMigrationJob } from "./migration-run.ts";
import { runMigrationScheduler } from "./migration-scheduler.ts";
import { runModelTrain } from "./model-train.ts";
import { runOverflowDrain } from "./overflow-drain.ts";
import { processRebalancePlan } from "./rebalance-plan.ts";
import { runShardletAccounting } from "./shardlet-accounting.ts";
import { runShardletManager } from "./shardlet-manager.ts";
import { runShardletMerge } from "./shardlet-merge.ts";
import { runShardletSplit } from "./shardlet-split.ts";
import { runPrealloc } from "../prealloc/run.ts";
import { runPreallocTrain } from "../prealloc/train.ts";

/** Period of `consumer.checkpoint` unless the worker is told otherwise. */
export const DEFAULT_CHECKPOINT_EVERY_MS = CHECKPOINT_EVERY_SEC * 1_000;

/** The worker's handler for every job in the catalog; `queue` is where the manager enqueues. */
export function createHandlers(deps: WorkerDeps, ctx: { queue?: JobQueue; redis?: Redis; prefix?: string; checkpointEveryMs?: number } = {}): JobHandlers {
  // Lag figures the checkpoint job reuses from one run to the next on this worker.
  const lagMemo = new LagMemo();
  // Per process: each worker scores the forecasts it used against what arrived (a run on another
  // worker just leaves a prediction unscored), and a restarted one starts without skill.
  const forecastGate = new ForecastGate();
  return {
    "host.health": async (_payload, job) => {
      const r = await runHostHealth(deps, { signal: job.signal });
      // The job's return value is stored in Redis: keep it small.
      return { checked: r.checked, down: r.down };
    },
    "shardlet.accounting": async (_payload, job) => {
      const r = await runShardletAccounting(deps, { signal: job.signal });
      return { hosts: r.hosts, failedHosts: r.failedHosts.length, shardlets: r.shardlets };
    },
    "shardlet.manager": async (payload, job) => {
      const r = await runShardletManager(deps, { ...(payload.streamId ? { streamId: payload.streamId } : {}), queue: ctx.queue, signal: job.signal });
      return {
        enabled: r.enabled,
        splits: r.actions.filter((a) => a.kind === "split").length,
        merges: r.actions.filter((a) => a.kind === "merge").length,
        skipped: r.skipped.length,
        resumed: r.resumed.length,
      };
    },
    "shardlet.split": (payload, job) => runShardletSplit(deps, payload, { signal: job.signal }),
    "shardlet.merge": (payload, job) => runShardletMerge(deps, payload, { signal: job.signal }),
    "overflow.drain": async (payload, job) => {
      const r = await runOverflowDrain(deps, { ...(payload.streamId ? { streamId: payload.streamId } : {}), signal: job.signal });
      return { drained: r.drained, blocked: r.blocked, purged: r.purged };
    },
    housekeeping: () => runHousekeeping(deps),
    "retention.enforce": async (_payload, job) => {
      // Without Redis the groups' durable checkpoints alone tell how far they read (a count may run high).
      const progress = ctx.redis && ctx.prefix !== undefined ? new ConsumerProgress(ctx.redis, ctx.prefix) : undefined;
      const r = await runRetention(deps, { signal: job.signal, ...(progress ? { progress } : {}) });
      return { created: r.created, dropped: r.dropped, freedBytes: r.freedBytes, freedEvents: r.freedEvents, skippedHosts: r.skippedHosts.length, expiredUnread: r.expiredUnread, uncounted: r.uncounted };
    },
    "prealloc.run": async (payload, job) => {
      if (!ctx.redis || ctx.prefix === undefined) throw new ShardcastError("unavailable", "prealloc.run needs the worker's Redis connection");
      const r = await runPrealloc(deps, {
        redis: ctx.redis,
        prefix: ctx.prefix,
        signal: job.signal,
        ...(ctx.queue ? { queue: ctx.queue } : {}),
        ...(payload.streamId ? { streamId: payload.streamId } : {}),
      });
      return { candidates: r.decisions.length, prepared: r.prepared.length, hits: r.hits.length, released: r.released.length, resumed: r.resumed.length, failed: r.failed.length };
    },
    "prealloc.train": async (payload, job) => {
      if (!ctx.redis || ctx.prefix === undefined) throw new ShardcastError("unavailable", "prealloc.train needs the worker's Redis connection");
      const r = await runPreallocTrain(deps, {
        redis: ctx.redis,
        prefix: ctx.prefix,
        signal: job.signal,
        actor: payload.actor ?? null,
        onProgress: (f) => job.job.updateProgress(Math.round(f * 100)),
        ...(payload.streamId ? { streamId: payload.streamId } : {}),
      });
      return { operationId: r.operationId, streams: r.streams.map((s) => ({ stream: s.stream, outcome: s.outcome, events: s.events })) };
    },
    "migration.run": (payload, job) => runMigrationJob(deps, payload, { signal: job.signal, ...(ctx.queue ? { queue: ctx.queue } : {}) }),
    "migration.scheduler": (_payload, job) => runMigrationScheduler(deps, { signal: job.signal, ...(ctx.queue ? { queue: ctx.queue } : {}) }),
    "rebalance.plan": (payload, job) => processRebalancePlan(deps, payload, { ...(ctx.queue ? { queue: ctx.queue } : {}), signal: job.signal }),
    "telemetry.rollup": async (_payload, job) => {
      if (!ctx.redis || ctx.prefix === undefined) throw new ShardcastError("unavailable", "telemetry.rollup needs the worker's Redis connection");
      const r = await runTelemetryRollup(deps, { redis: ctx.redis, prefix: ctx.prefix, signal: job.signal, onProgress: (p) => job.job.updateProgress(p) });
      return { batches: r.batches, applied: r.applied, resumed: r.resumed, buckets: r.buckets, deleted: r.retention.deleted };
    },
    "host.resources": async (_payload, job) => {
      const r = await runHostResources(deps, { signal: job.signal });
      return { sampled: r.sampled, failed: r.failed.length };
    },
    "model.train": (payload, job) =>
      runModelTrain(deps, payload, { jobId: job.id, signal: job.signal, onProgress: (fraction) => job.job.updateProgress(Math.round(fraction * 100)) }),
    "analyzer.run": async (payload, job) => {
      const r = await runAnalyzerJob(deps, payload, {
        ...(ctx.queue ? { queue: ctx.queue } : {}),
        signal: job.signal,
        onProgress: (p) => job.job.updateProgress(p),
      });
      return { runId: r.runId, skipped: r.skipped ?? null, model: r.model, shardlets: r.shardlets, proposals: r.proposals, acted: { splits: r.acted.splits, migrations: r.acted.migrations } };
    },
    "host.provision": (payload, job) => runHostProvision(deps, payload, { signal: job.signal }),
    "orchestrator.run": (payload, job) =>
      runOrchestrator(
        { db: deps.db, log: deps.log, clock: deps.clock, ...(deps.opLocks ? { opLocks: deps.opLocks } : {}) },
        { ...(ctx.queue ? { queue: ctx.queue } : {}), signal: job.signal, ...(payload.trigger ? { trigger: payload.trigger } : {}) },
      ),
    "cache.correlate": async (_payload, job) => {
      if (!ctx.redis || ctx.prefix === undefined) throw new ShardcastError("unavailable", "cache.correlate needs the worker's Redis connection");
      return runCorrelation({ db: deps.db, log: deps.log, clock: deps.clock }, { redis: ctx.redis, prefix: ctx.prefix, signal: job.signal });
    },
    "placement.run": async (payload, job) => {
      if (!ctx.redis || ctx.prefix === undefined) throw new ShardcastError("unavailable", "placement.run needs the worker's Redis connection");
      return runPlacement(deps, {
        redis: ctx.redis,
        prefix: ctx.prefix,
        ...(ctx.queue ? { queue: ctx.queue } : {}),
        signal: job.signal,
        onProgress: (f) => job.job.updateProgress(Math.round(f * 100)),
        ...(payload.trigger ? { trigger: payload.trigger } : {}),
      });
    },
    "replica.sync": async (_payload, job) => {
      const { redis, prefix } = ctx;
      return syncReplicas(
        {
          db: deps.db,
          hosts: deps.hosts,
          log: deps.log,
          clock: deps.clock,
          ...(deps.migration?.watermark ? { watermark: deps.migration.watermark } : {}),
          ...(deps.announce ? { announce: deps.announce } : {}),
          ...(redis && prefix !== undefined ? { progress: (streamId: string, replicaId: string, seq: number) => publishReplicaProgress(redis, prefix, streamId, replicaId, seq) } : {}),
        },
        { signal: job.signal },
      );
    },
    "consumer.checkpoint": async (_payload, job) => {
      if (!ctx.redis || ctx.prefix === undefined) throw new ShardcastError("unavailable", "consumer.checkpoint needs the worker's Redis connection");
      const progress = new ConsumerProgress(ctx.redis, ctx.prefix);
      return runConsumerCheckpoint(deps, { progress, lagMemo, forecastGate, decisionIntervalSec: (ctx.checkpointEveryMs ?? DEFAULT_CHECKPOINT_EVERY_MS) / 1000, signal: job.signal });
    },
  };
}
