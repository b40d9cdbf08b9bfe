import { randomUUID } from "node:crypto";
import { bucketStart, deltaRows, TELEMETRY_RESOLUTIONS, telemetryRedisKeys } from "@shardcast/core";
import {
  applyTelemetryBatch,
  applyTelemetryRetention,
  trimHotKeys,
  type ApplyTelemetryResult,
  type TelemetryRetentionResult,
} from "@shardcast/db";
import type { Redis } from "ioredis";
import type { WorkerDeps } from "../deps.ts";
import { checkAborted } from "../domain/abort.ts";
import { claimBatch, pendingBatches, readBatch, releaseBatch, type ClaimedBatch } from "../telemetry/claim.ts";

export interface RollupOptions {
  redis: Redis;
  prefix: string;
  signal?: AbortSignal;
  /** Buckets claimed per batch (default 60: ten minutes of 10 s buckets). */
  maxBucketsPerBatch?: number;
  /** New batches claimed per run (default 20); the rest waits for the next run. */
  maxBatches?: number;
  onProgress?: (p: { batches: number; buckets: number }) => void | Promise<void>;
  /** Test hook: runs after a batch is in PostgreSQL and before its Redis keys are released. */
  afterApply?: (batch: ClaimedBatch, result: ApplyTelemetryResult) => void | Promise<void>;
}

export interface RollupResult {
  /** Batches processed: left over from an earlier run, then newly claimed. */
  batches: number;
  resumed: number;
  /** Batches whose deltas were added now (the others had been added before a crash). */
  applied: number;
  buckets: number;
  rows: { shardlets: number; hotKeys: number; clients: number; profiles: number };
  malformed: number;
  retention: TelemetryRetentionResult;
}

/**
 * Moves the edges' flushed counters from Redis into PostgreSQL, exactly once: a batch of buckets is
 * claimed atomically in Redis (renamed away from the edges), added in one transaction that records
 * the batch in a ledger, and only then released. A run that stops anywhere leaves the batch
 * claimed; the next run finds it and either adds it (not committed before) or just releases it.
 */
export async function runTelemetryRollup(deps: WorkerDeps, opts: RollupOptions): Promise<RollupResult> {
  const { redis, prefix } = opts;
  const result: RollupResult = {
    batches: 0,
    resumed: 0,
    applied: 0,
    buckets: 0,
    rows: { shardlets: 0, hotKeys: 0, clients: 0, profiles: 0 },
    malformed: 0,
    retention: { deleted: 0, trimmed: 0, ledger: 0 },
  };

  // A batch that reached buckets which have already closed (a backlog, a late edge) trims them now:
  // the retention pass only trims buckets that closed recently.
  const trimClosed = async (batch: ClaimedBatch) => {
    const now = deps.clock();
    for (const r of TELEMETRY_RESOLUTIONS) {
      const closed = [...new Set(batch.buckets.map((b) => bucketStart(b, r)))].filter((b) => b + r * 1000 <= now);
      result.retention.trimmed += await trimHotKeys(deps.db, r, closed);
    }
  };

  const handle = async (batch: ClaimedBatch) => {
    checkAborted(opts.signal);
    const { deltas, malformed } = await readBatch(redis, prefix, batch);
    const applied = await applyTelemetryBatch(deps.db, { id: batch.id, claimedAtMs: batch.claimedAt, deltas });
    if (applied.applied && deltas.hotKeys.length > 0) await trimClosed(batch);
    await opts.afterApply?.(batch, applied);
    await releaseBatch(redis, prefix, batch);
    result.batches++;
    result.buckets += batch.buckets.length;
    result.malformed += malformed;
    if (applied.applied) {
      result.applied++;
      result.rows.shardlets += applied.rows.shardlets;
      result.rows.hotKeys += applied.rows.hotKeys;
      result.rows.clients += applied.rows.clients;
      result.rows.profiles += applied.rows.profiles;
    }
    deps.log.debug("telemetry batch rolled up", { batch: batch.id, buckets: batch.buckets.length, deltas: deltaRows(deltas), applied: applied.applied });
    await opts.onProgress?.({ batches: result.batches, buckets: result.buckets });
  };

  const leftover = await pendingBatches(redis, prefix);
  if (leftover.malformed.length > 0) {
    deps.log.warn("dropping malformed telemetry batch records", { batches: leftover.malformed });
    await redis.hdel(telemetryRedisKeys(prefix).batches, ...leftover.malformed);
  }
  for (const batch of leftover.batches) {
    await handle(batch);
    result.resumed++;
  }
  const maxBatches = opts.maxBatches ?? 20;
  for (let i = 0; i < maxBatches; i++) {
    checkAborted(opts.signal);
    const batch = await claimBatch(redis, prefix, { id: randomUUID(), now: deps.clock(), maxBuckets: opts.maxBucketsPerBatch ?? 60 });
    if (!batch) break;
    await handle(batch);
  }
  checkAborted(opts.signal);
  const retention = await applyTelemetryRetention(deps.db, deps.clock());
  result.retention = { ...retention, trimmed: retention.trimmed + result.retention.trimmed };
  if (result.resumed > 0 || result.malformed > 0 || result.batches > 3) {
    deps.log.info("telemetry rollup", { batches: result.batches, resumed: result.resumed, applied: result.applied, buckets: result.buckets, malformed: result.malformed });
  }
  return result;
}
