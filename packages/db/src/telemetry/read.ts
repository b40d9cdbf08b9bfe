import { lowerSeq, TELEMETRY_RESOLUTIONS, type ClientReadRow, type ShardletCounters } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { num } from "../errors.ts";
import { Prisma } from "../generated/prisma/client.ts";
import { checkResolution, checkWindow, epochMs, ts } from "./time.ts";

export interface TelemetryPoint extends ShardletCounters {
  /** Epoch ms. */
  bucketStart: number;
  streamId: string;
  shardletId: string;
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
  /** Writes the key certainly had (lower bounds, summed). */
  writes: number;
  reads: number;
  /** Most the key may have had beyond `writes + reads`, in the flushes that reported it. */
  error: number;
}

/** The busiest keys of a stream over [from, to), by the writes + reads they certainly had. */
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

export interface TelemetryTotals extends ShardletCounters {
  /** `minSeqRead`: the lowest position read in the window (null: no event read). */
  byShardlet: Array<{ shardletId: string; writes: number; reads: number; bytesWritten: number; bytesRead: number; minSeqRead: number | null }>;
}

/** Sums of a stream's telemetry over [from, to), in total and per shardlet (finest resolution by default). */
export async function telemetryTotals(
  db: ControlDb,
  q: { streamId: string; from: number; to: number; resolution?: number },
): Promise<TelemetryTotals> {
  const resolution = q.resolution ?? TELEMETRY_RESOLUTIONS[0];
  checkResolution(resolution);
  checkWindow(q.from, q.to);
  const rows = await db.$queryRaw<Array<{ shardlet_id: string; w: number; r: number; bw: number; br: number; ls: number; lc: number; lm: number; mr: number | null }>>`
    SELECT shardlet_id, sum(writes)::float8 AS w, sum(reads)::float8 AS r, sum(bytes_written)::float8 AS bw, sum(bytes_read)::float8 AS br,
           sum(latency_sum_ms)::float8 AS ls, sum(latency_count)::float8 AS lc, max(latency_max_ms)::float8 AS lm,
           min(min_seq_read)::float8 AS mr
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
    if (r.mr !== null) totals.minSeqRead = lowerSeq(totals.minSeqRead, r.mr);
    totals.byShardlet.push({ shardletId: r.shardlet_id, writes: r.w, reads: r.r, bytesWritten: r.bw, bytesRead: r.br, minSeqRead: r.mr });
  }
  return totals;
}

/** Start of the newest bucket stored at `resolution` (seconds), or null when there is none. */
export async function newestBucketStart(db: ControlDb, resolution: number): Promise<Date | null> {
  const row = await db.telemetryBucket.findFirst({ where: { resolution }, orderBy: { bucketStart: "desc" }, select: { bucketStart: true } });
  return row?.bucketStart ?? null;
}

/** Start of the oldest bucket at `resolution` that starts at or after `since`, or null. */
export async function oldestBucketStartSince(db: ControlDb, resolution: number, since: Date): Promise<Date | null> {
  const row = await db.telemetryBucket.findFirst({
    where: { resolution, bucketStart: { gte: since } },
    orderBy: { bucketStart: "asc" },
    select: { bucketStart: true },
  });
  return row?.bucketStart ?? null;
}
