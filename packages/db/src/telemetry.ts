import {
  bucketStart as bucketOf,
  foldDeltas,
  HOT_KEYS_KEPT_PER_BUCKET,
  isTelemetryResolution,
  keyHash,
  ShardcastError,
  TELEMETRY_RESOLUTIONS,
  TELEMETRY_RETENTION_MS,
  type ClientReadRow,
  type TelemetryDeltas,
  type TelemetryResolution,
} from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { num } from "./errors.ts";
import { Prisma } from "./generated/prisma/client.ts";

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

/** Epoch ms -> the `timestamp(3)` (UTC, no zone) Prisma stores, independent of the session zone. */
const ts = (ms: Prisma.Sql) => Prisma.sql`(timestamp '1970-01-01 00:00:00' + ${ms} * interval '1 millisecond')`;
/** `timestamp(3)` column -> epoch ms. */
const epochMs = (col: Prisma.Sql) => Prisma.sql`(extract(epoch FROM ${col}) * 1000)::float8`;

function checkResolution(resolution: number): asserts resolution is TelemetryResolution {
  if (!isTelemetryResolution(resolution)) {
    throw new ShardcastError("bad_request", `resolution must be one of ${TELEMETRY_RESOLUTIONS.join(", ")} seconds`);
  }
}

function checkWindow(from: number, to: number): void {
  if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) throw new ShardcastError("bad_request", "the time window must have to > from");
}

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
  rows: { shardlets: number; hotKeys: number; clients: number };
}

type Tx = Prisma.TransactionClient;

async function upsertShardlets(tx: Tx, folded: Array<{ resolution: number; d: TelemetryDeltas }>): Promise<number> {
  const rows = folded.flatMap(({ resolution, d }) => d.shardlets.map((s) => ({ resolution, ...s })));
  if (rows.length === 0) return 0;
  return tx.$executeRaw`
    INSERT INTO telemetry_buckets AS t
      (resolution, bucket_start, shardlet_id, stream_id, writes, reads, bytes_written, bytes_read, latency_sum_ms, latency_count, latency_max_ms)
    SELECT v.res, ${ts(Prisma.sql`v.ms`)}, v.shardlet_id, v.stream_id, v.w, v.r, v.bw, v.br, v.ls, v.lc, v.lm
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
      ${rows.map((r) => r.latencyMaxMs)}::float8[]
    ) AS v(res, ms, shardlet_id, stream_id, w, r, bw, br, ls, lc, lm)
    ON CONFLICT (resolution, bucket_start, shardlet_id) DO UPDATE SET
      writes = t.writes + EXCLUDED.writes,
      reads = t.reads + EXCLUDED.reads,
      bytes_written = t.bytes_written + EXCLUDED.bytes_written,
      bytes_read = t.bytes_read + EXCLUDED.bytes_read,
      latency_sum_ms = t.latency_sum_ms + EXCLUDED.latency_sum_ms,
      latency_count = t.latency_count + EXCLUDED.latency_count,
      latency_max_ms = GREATEST(t.latency_max_ms, EXCLUDED.latency_max_ms)`;
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
    if (marked === 0) return { applied: false, rows: { shardlets: 0, hotKeys: 0, clients: 0 } };
    const shardlets = await upsertShardlets(tx, folded);
    const hotKeys = await upsertHotKeys(tx, folded);
    const clients = await upsertClients(tx, folded);
    return { applied: true, rows: { shardlets, hotKeys, clients } };
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
  const ledger = await db.$executeRaw`
    DELETE FROM telemetry_rollups WHERE claimed_at < ${ts(Prisma.sql`${nowMs - LEDGER_RETENTION_MS}::float8`)}`;
  return { deleted, trimmed, ledger };
}

export interface TelemetryPoint {
  /** Epoch ms. */
  bucketStart: number;
  streamId: string;
  shardletId: string;
  writes: number;
  reads: number;
  bytesWritten: number;
  bytesRead: number;
  latencySumMs: number;
  latencyCount: number;
  latencyMaxMs: number;
}

export interface SeriesQuery {
  streamId?: string;
  shardletIds?: readonly string[];
  resolution: number;
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
}

/**
 * Per-shardlet buckets of [from, to) at one resolution, by shardlet then time. Buckets without
 * traffic have no row (see `alignSeries` in core for dense series).
 */
export async function shardletSeries(db: ControlDb, q: SeriesQuery): Promise<TelemetryPoint[]> {
  checkResolution(q.resolution);
  checkWindow(q.from, q.to);
  const rows = await db.telemetryBucket.findMany({
    where: {
      resolution: q.resolution,
      bucketStart: { gte: new Date(q.from), lt: new Date(q.to) },
      ...(q.streamId ? { streamId: q.streamId } : {}),
      ...(q.shardletIds ? { shardletId: { in: [...q.shardletIds] } } : {}),
    },
    orderBy: [{ shardletId: "asc" }, { bucketStart: "asc" }],
  });
  return rows.map((r) => ({
    bucketStart: r.bucketStart.getTime(),
    streamId: r.streamId,
    shardletId: r.shardletId,
    writes: num(r.writes),
    reads: num(r.reads),
    bytesWritten: num(r.bytesWritten),
    bytesRead: num(r.bytesRead),
    latencySumMs: r.latencySumMs,
    latencyCount: num(r.latencyCount),
    latencyMaxMs: r.latencyMaxMs,
  }));
}

export interface StreamPoint extends Omit<TelemetryPoint, "shardletId"> {
  /** Shardlets with traffic in the bucket. */
  shardlets: number;
}

/** A stream's buckets of [from, to), summed over its shardlets, oldest first. */
export async function streamSeries(db: ControlDb, q: { streamId: string; resolution: number; from: number; to: number }): Promise<StreamPoint[]> {
  checkResolution(q.resolution);
  checkWindow(q.from, q.to);
  const rows = await db.$queryRaw<
    Array<{ at: number; w: number; r: number; bw: number; br: number; ls: number; lc: number; lm: number; n: number }>
  >`
    SELECT ${epochMs(Prisma.sql`bucket_start`)} AS at,
           sum(writes)::float8 AS w, sum(reads)::float8 AS r, sum(bytes_written)::float8 AS bw, sum(bytes_read)::float8 AS br,
           sum(latency_sum_ms)::float8 AS ls, sum(latency_count)::float8 AS lc, max(latency_max_ms)::float8 AS lm, count(*)::int AS n
    FROM telemetry_buckets
    WHERE stream_id = ${q.streamId} AND resolution = ${q.resolution}
      AND bucket_start >= ${ts(Prisma.sql`${q.from}::float8`)} AND bucket_start < ${ts(Prisma.sql`${q.to}::float8`)}
    GROUP BY bucket_start ORDER BY bucket_start`;
  return rows.map((r) => ({
    bucketStart: r.at,
    streamId: q.streamId,
    writes: r.w,
    reads: r.r,
    bytesWritten: r.bw,
    bytesRead: r.br,
    latencySumMs: r.ls,
    latencyCount: r.lc,
    latencyMaxMs: r.lm,
    shardlets: r.n,
  }));
}

export interface HotKeyRow {
  key: string;
  keyHash: number;
  writes: number;
  reads: number;
  /** Most `writes + reads` may overstate the key's count. */
  error: number;
}

/** The busiest keys of a stream over [from, to), by writes + reads. */
export async function hotKeys(
  db: ControlDb,
  q: { streamId: string; resolution: number; from: number; to: number; limit?: number },
): Promise<HotKeyRow[]> {
  checkResolution(q.resolution);
  checkWindow(q.from, q.to);
  const limit = Math.max(1, Math.min(q.limit ?? 20, 1000));
  const rows = await db.$queryRaw<Array<{ key: string; key_hash: bigint; w: number; r: number; e: number }>>`
    SELECT key, min(key_hash) AS key_hash, sum(writes)::float8 AS w, sum(reads)::float8 AS r, sum(error)::float8 AS e
    FROM hot_key_buckets
    WHERE stream_id = ${q.streamId} AND resolution = ${q.resolution}
      AND bucket_start >= ${ts(Prisma.sql`${q.from}::float8`)} AND bucket_start < ${ts(Prisma.sql`${q.to}::float8`)}
    GROUP BY key ORDER BY sum(writes + reads) DESC, key LIMIT ${limit}`;
  return rows.map((r) => ({ key: r.key, keyHash: num(r.key_hash), writes: r.w, reads: r.r, error: r.e }));
}

export interface ClientActivityRow {
  client: string;
  clientGroup: string;
  reads: number;
  /** Distinct shardlets the client read. */
  shardlets: number;
}

/** Readers of a stream (or of some of its shardlets) over [from, to), busiest first. */
export async function clientActivity(
  db: ControlDb,
  q: { streamId: string; shardletIds?: readonly string[]; resolution: number; from: number; to: number; limit?: number },
): Promise<ClientActivityRow[]> {
  checkResolution(q.resolution);
  checkWindow(q.from, q.to);
  const limit = Math.max(1, Math.min(q.limit ?? 20, 1000));
  const only = q.shardletIds ? Prisma.sql`AND shardlet_id = ANY(${[...q.shardletIds]}::text[])` : Prisma.empty;
  const rows = await db.$queryRaw<Array<{ client: string; client_group: string; r: number; n: number }>>`
    SELECT client, client_group, sum(reads)::float8 AS r, count(DISTINCT shardlet_id)::int AS n
    FROM client_buckets
    WHERE stream_id = ${q.streamId} AND resolution = ${q.resolution}
      AND bucket_start >= ${ts(Prisma.sql`${q.from}::float8`)} AND bucket_start < ${ts(Prisma.sql`${q.to}::float8`)} ${only}
    GROUP BY client, client_group ORDER BY sum(reads) DESC, client, client_group LIMIT ${limit}`;
  return rows.map((r) => ({ client: r.client, clientGroup: r.client_group, reads: r.r, shardlets: r.n }));
}

/** Raw client rows of a stream over [from, to): the input of the reader-activity features. */
export async function clientReadRows(db: ControlDb, q: { streamId: string; resolution: number; from: number; to: number }): Promise<ClientReadRow[]> {
  checkResolution(q.resolution);
  checkWindow(q.from, q.to);
  const rows = await db.clientBucket.findMany({
    where: { streamId: q.streamId, resolution: q.resolution, bucketStart: { gte: new Date(q.from), lt: new Date(q.to) } },
    orderBy: [{ bucketStart: "asc" }, { shardletId: "asc" }],
  });
  return rows.map((r) => ({ bucketStart: r.bucketStart.getTime(), shardletId: r.shardletId, client: r.client, clientGroup: r.clientGroup, reads: num(r.reads) }));
}

export interface TelemetryTotals {
  writes: number;
  reads: number;
  bytesWritten: number;
  bytesRead: number;
  latencySumMs: number;
  latencyCount: number;
  latencyMaxMs: number;
  byShardlet: Array<{ shardletId: string; writes: number; reads: number; bytesWritten: number; bytesRead: number }>;
}

/** Sums of a stream's telemetry over [from, to), in total and per shardlet (finest resolution by default). */
export async function telemetryTotals(
  db: ControlDb,
  q: { streamId: string; from: number; to: number; resolution?: number },
): Promise<TelemetryTotals> {
  const resolution = q.resolution ?? TELEMETRY_RESOLUTIONS[0];
  checkResolution(resolution);
  checkWindow(q.from, q.to);
  const rows = await db.$queryRaw<Array<{ shardlet_id: string; w: number; r: number; bw: number; br: number; ls: number; lc: number; lm: number }>>`
    SELECT shardlet_id, sum(writes)::float8 AS w, sum(reads)::float8 AS r, sum(bytes_written)::float8 AS bw, sum(bytes_read)::float8 AS br,
           sum(latency_sum_ms)::float8 AS ls, sum(latency_count)::float8 AS lc, max(latency_max_ms)::float8 AS lm
    FROM telemetry_buckets
    WHERE stream_id = ${q.streamId} AND resolution = ${resolution}
      AND bucket_start >= ${ts(Prisma.sql`${q.from}::float8`)} AND bucket_start < ${ts(Prisma.sql`${q.to}::float8`)}
    GROUP BY shardlet_id ORDER BY shardlet_id`;
  const totals: TelemetryTotals = { writes: 0, reads: 0, bytesWritten: 0, bytesRead: 0, latencySumMs: 0, latencyCount: 0, latencyMaxMs: 0, byShardlet: [] };
  for (const r of rows) {
    totals.writes += r.w;
    totals.reads += r.r;
    totals.bytesWritten += r.bw;
    totals.bytesRead += r.br;
    totals.latencySumMs += r.ls;
    totals.latencyCount += r.lc;
    totals.latencyMaxMs = Math.max(totals.latencyMaxMs, r.lm);
    totals.byShardlet.push({ shardletId: r.shardlet_id, writes: r.w, reads: r.r, bytesWritten: r.bw, bytesRead: r.br });
  }
  return totals;
}
