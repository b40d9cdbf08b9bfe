import {
  bucketStart as bucketOf,
  foldDeltas,
  HOT_KEYS_KEPT_PER_BUCKET,
  keyHash,
  TELEMETRY_RESOLUTIONS,
  TELEMETRY_RETENTION_MS,
  type TelemetryDeltas,
  type TelemetryResolution,
} from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { Prisma } from "../generated/prisma/client.ts";
import { applyProfileRetention, upsertProfiles } from "./profiles.ts";
import { checkResolution, ts } from "./time.ts";

/*
 * Rolled-up telemetry in the control database. A claimed batch of edge counters is added into
 * every resolution in one transaction that also records the batch in a ledger, so a rollup that
 * crashed after committing and runs the batch again adds nothing twice.
 *
 * The ledger is telemetry_rollups: its primary key makes "record the batch" and "was it applied?"
 * one INSERT ... ON CONFLICT DO NOTHING, which also serializes two workers applying the same batch.
 * Ledger rows are deleted after two days, long after their batch's Redis keys are gone.
 */

const LEDGER_RETENTION_MS = 2 * 24 * 3_600_000;
const TX_OPTIONS = { maxWait: 10_000, timeout: 60_000 };

export interface TelemetryBatch {
  /** Unique per claimed batch (the ledger key). */
  id: string;
  claimedAtMs: number;
  /** Deltas at the finest resolution. */
  deltas: TelemetryDeltas;
}

export interface ApplyTelemetryResult {
  /** False when the ledger says this batch was applied before (nothing was added). */
  applied: boolean;
  /** Rows upserted per table, every resolution together. */
  rows: { shardlets: number; hotKeys: number; clients: number; profiles: number };
}

type Tx = Prisma.TransactionClient;

async function upsertShardlets(tx: Tx, folded: Array<{ resolution: number; d: TelemetryDeltas }>): Promise<number> {
  const rows = folded.flatMap(({ resolution, d }) => d.shardlets.map((s) => ({ resolution, ...s })));
  if (rows.length === 0) return 0;
  return tx.$executeRaw`
    INSERT INTO telemetry_buckets AS t
      (resolution, bucket_start, shardlet_id, stream_id, writes, reads, bytes_written, bytes_read, latency_sum_ms, latency_count, latency_max_ms, min_seq_read)
    SELECT v.res, ${ts(Prisma.sql`v.ms`)}, v.shardlet_id, v.stream_id, v.w, v.r, v.bw, v.br, v.ls, v.lc, v.lm, v.mr
    FROM unnest(
      ${rows.map((r) => r.resolution)}::int[],
      ${rows.map((r) => r.bucketStart)}::float8[],
      ${rows.map((r) => r.shardletId)}::text[],
      ${rows.map((r) => r.streamId)}::text[],
      ${rows.map((r) => Math.round(r.writes))}::bigint[],
      ${rows.map((r) => Math.round(r.reads))}::bigint[],
      ${rows.map((r) => Math.round(r.bytesWritten))}::bigint[],
      ${rows.map((r) => Math.round(r.bytesRead))}::bigint[],
      ${rows.map((r) => r.latencySumMs)}::float8[],
      ${rows.map((r) => Math.round(r.latencyCount))}::bigint[],
      ${rows.map((r) => r.latencyMaxMs)}::float8[],
      ${rows.map((r) => r.minSeqRead ?? null)}::bigint[]
    ) AS v(res, ms, shardlet_id, stream_id, w, r, bw, br, ls, lc, lm, mr)
    ON CONFLICT (resolution, bucket_start, shardlet_id) DO UPDATE SET
      writes = t.writes + EXCLUDED.writes,
      reads = t.reads + EXCLUDED.reads,
      bytes_written = t.bytes_written + EXCLUDED.bytes_written,
      bytes_read = t.bytes_read + EXCLUDED.bytes_read,
      latency_sum_ms = t.latency_sum_ms + EXCLUDED.latency_sum_ms,
      latency_count = t.latency_count + EXCLUDED.latency_count,
      latency_max_ms = GREATEST(t.latency_max_ms, EXCLUDED.latency_max_ms),
      min_seq_read = LEAST(t.min_seq_read, EXCLUDED.min_seq_read)`;
}

async function upsertHotKeys(tx: Tx, folded: Array<{ resolution: number; d: TelemetryDeltas }>): Promise<number> {
  const rows = folded.flatMap(({ resolution, d }) => d.hotKeys.map((h) => ({ resolution, ...h })));
  if (rows.length === 0) return 0;
  const hashes = new Map<string, number>();
  for (const r of rows) if (!hashes.has(r.key)) hashes.set(r.key, keyHash(r.key));
  return tx.$executeRaw`
    INSERT INTO hot_key_buckets AS t (resolution, bucket_start, stream_id, key, key_hash, writes, reads, error)
    SELECT v.res, ${ts(Prisma.sql`v.ms`)}, v.stream_id, v.key, v.key_hash, v.w, v.r, v.e
    FROM unnest(
      ${rows.map((r) => r.resolution)}::int[],
      ${rows.map((r) => r.bucketStart)}::float8[],
      ${rows.map((r) => r.streamId)}::text[],
      ${rows.map((r) => r.key)}::text[],
      ${rows.map((r) => hashes.get(r.key)!)}::bigint[],
      ${rows.map((r) => Math.round(r.writes))}::bigint[],
      ${rows.map((r) => Math.round(r.reads))}::bigint[],
      ${rows.map((r) => Math.round(r.error))}::bigint[]
    ) AS v(res, ms, stream_id, key, key_hash, w, r, e)
    ON CONFLICT (resolution, bucket_start, stream_id, key) DO UPDATE SET
      writes = t.writes + EXCLUDED.writes,
      reads = t.reads + EXCLUDED.reads,
      error = t.error + EXCLUDED.error`;
}

async function upsertClients(tx: Tx, folded: Array<{ resolution: number; d: TelemetryDeltas }>): Promise<number> {
  const rows = folded.flatMap(({ resolution, d }) => d.clients.map((c) => ({ resolution, ...c })));
  if (rows.length === 0) return 0;
  return tx.$executeRaw`
    INSERT INTO client_buckets AS t (resolution, bucket_start, stream_id, shardlet_id, client, client_group, reads)
    SELECT v.res, ${ts(Prisma.sql`v.ms`)}, v.stream_id, v.shardlet_id, v.client, v.client_group, v.r
    FROM unnest(
      ${rows.map((r) => r.resolution)}::int[],
      ${rows.map((r) => r.bucketStart)}::float8[],
      ${rows.map((r) => r.streamId)}::text[],
      ${rows.map((r) => r.shardletId)}::text[],
      ${rows.map((r) => r.client)}::text[],
      ${rows.map((r) => r.clientGroup)}::text[],
      ${rows.map((r) => Math.round(r.reads))}::bigint[]
    ) AS v(res, ms, stream_id, shardlet_id, client, client_group, r)
    ON CONFLICT (resolution, bucket_start, shardlet_id, client, client_group) DO UPDATE SET
      reads = t.reads + EXCLUDED.reads`;
}

/**
 * Adds a claimed batch into every resolution (counters add, latency maxima take the largest),
 * exactly once: the batch's ledger row is inserted first in the same transaction, and a batch whose
 * ledger row exists adds nothing.
 */
export async function applyTelemetryBatch(
  db: ControlDb,
  batch: TelemetryBatch,
  opts: { resolutions?: readonly TelemetryResolution[] } = {},
): Promise<ApplyTelemetryResult> {
  const resolutions = opts.resolutions ?? TELEMETRY_RESOLUTIONS;
  // Folded before the transaction: it only holds row locks while writing.
  const folded = resolutions.map((resolution) => ({ resolution, d: foldDeltas(batch.deltas, resolution) }));
  return db.$transaction(async (tx) => {
    const marked = await tx.$executeRaw`
      INSERT INTO telemetry_rollups (batch_id, claimed_at)
      VALUES (${batch.id}, ${ts(Prisma.sql`${batch.claimedAtMs}::float8`)})
      ON CONFLICT DO NOTHING`;
    if (marked === 0) return { applied: false, rows: { shardlets: 0, hotKeys: 0, clients: 0, profiles: 0 } };
    const shardlets = await upsertShardlets(tx, folded);
    const hotKeys = await upsertHotKeys(tx, folded);
    const clients = await upsertClients(tx, folded);
    const profiles = await upsertProfiles(tx, batch.deltas.profiles ?? []);
    return { applied: true, rows: { shardlets, hotKeys, clients, profiles } };
  }, TX_OPTIONS);
}

/** Whether a batch was applied (its ledger row exists). */
export async function telemetryBatchApplied(db: ControlDb, batchId: string): Promise<boolean> {
  return (await db.telemetryRollup.count({ where: { batchId } })) > 0;
}

/** Deletes hot-key rows past the busiest `HOT_KEYS_KEPT_PER_BUCKET` per stream in the matching buckets of one resolution. */
function trimWhere(db: ControlDb, resolution: number, buckets: Prisma.Sql): Promise<number> {
  return db.$executeRaw`
    DELETE FROM hot_key_buckets h USING (
      SELECT bucket_start, stream_id, key FROM (
        SELECT bucket_start, stream_id, key,
               row_number() OVER (PARTITION BY bucket_start, stream_id ORDER BY writes + reads DESC, key) AS rn
        FROM hot_key_buckets
        WHERE resolution = ${resolution} AND ${buckets}
      ) ranked WHERE rn > ${HOT_KEYS_KEPT_PER_BUCKET}
    ) d
    WHERE h.resolution = ${resolution} AND h.bucket_start = d.bucket_start AND h.stream_id = d.stream_id AND h.key = d.key`;
}

/**
 * Trims the hot keys of the given closed buckets (bucket starts of `resolution`, epoch ms): a
 * bucket collects every edge's top keys of every flush, so it keeps only the busiest per stream.
 */
export async function trimHotKeys(db: ControlDb, resolution: number, bucketStarts: readonly number[]): Promise<number> {
  checkResolution(resolution);
  if (bucketStarts.length === 0) return 0;
  return trimWhere(db, resolution, Prisma.sql`bucket_start = ANY(SELECT ${ts(Prisma.sql`b`)} FROM unnest(${[...bucketStarts]}::float8[]) AS u(b))`);
}

export interface TelemetryRetentionResult {
  /** Rows past their resolution's retention, all three tables. */
  deleted: number;
  /** Hot-key rows beyond the kept top of a closed bucket. */
  trimmed: number;
  ledger: number;
}

/**
 * Deletes rows past each resolution's retention and old ledger rows, and trims each recently closed
 * bucket's hot keys to the busiest `HOT_KEYS_KEPT_PER_BUCKET` per stream (edges each send their own
 * top keys, so a bucket collects the union).
 */
export async function applyTelemetryRetention(db: ControlDb, nowMs: number): Promise<TelemetryRetentionResult> {
  let deleted = 0;
  let trimmed = 0;
  for (const r of TELEMETRY_RESOLUTIONS) {
    const cutoff = nowMs - TELEMETRY_RETENTION_MS[r];
    deleted += await db.$executeRaw`DELETE FROM telemetry_buckets WHERE resolution = ${r} AND bucket_start < ${ts(Prisma.sql`${cutoff}::float8`)}`;
    deleted += await db.$executeRaw`DELETE FROM hot_key_buckets WHERE resolution = ${r} AND bucket_start < ${ts(Prisma.sql`${cutoff}::float8`)}`;
    deleted += await db.$executeRaw`DELETE FROM client_buckets WHERE resolution = ${r} AND bucket_start < ${ts(Prisma.sql`${cutoff}::float8`)}`;
    // Buckets closed within the last hour (at least three buckets); older closed buckets a late
    // batch touches are trimmed by the rollup right after it (`trimHotKeys`).
    const open = bucketOf(nowMs, r);
    const from = open - Math.max(3 * r, 3600) * 1000;
    trimmed += await trimWhere(db, r, Prisma.sql`bucket_start >= ${ts(Prisma.sql`${from}::float8`)} AND bucket_start < ${ts(Prisma.sql`${open}::float8`)}`);
  }
  deleted += await applyProfileRetention(db, nowMs);
  const ledger = await db.$executeRaw`
    DELETE FROM telemetry_rollups WHERE claimed_at < ${ts(Prisma.sql`${nowMs - LEDGER_RETENTION_MS}::float8`)}`;
  return { deleted, trimmed, ledger };
}
