import type { ControlDb } from "./client.ts";
import { Prisma } from "./generated/prisma/client.ts";
import { epochMs, tsAt } from "./telemetry/time.ts";

export interface MetricInput {
  /** e.g. ingest.events_per_s, ingest.bytes_per_s, host.size_bytes */
  name: string;
  value: number;
  streamId?: string | null;
  hostId?: string | null;
  /** Sample time in epoch ms (default now). */
  at?: number;
}

export interface MetricPoint {
  /** Epoch ms. */
  at: number;
  value: number;
  streamId: string | null;
  hostId: string | null;
}

function toRow(m: MetricInput) {
  return {
    name: m.name,
    value: m.value,
    streamId: m.streamId ?? null,
    hostId: m.hostId ?? null,
    ...(m.at !== undefined ? { at: new Date(m.at) } : {}),
  };
}

export async function recordMetric(db: ControlDb, m: MetricInput): Promise<void> {
  await db.metricSample.create({ data: toRow(m) });
}

export async function recordMetrics(db: ControlDb, samples: readonly MetricInput[]): Promise<number> {
  if (samples.length === 0) return 0;
  const res = await db.metricSample.createMany({ data: samples.map(toRow) });
  return res.count;
}

const DEFAULT_SERIES_LIMIT = 10_000;

/**
 * Samples of one metric at or after `sinceMs` (epoch ms), oldest first. `clusterWide` keeps the
 * samples of no stream and no host, the whole cluster's. When more than `limit` samples match, each
 * series (stream, host) is downsampled into equal time buckets so the result still spans the whole
 * window in at most `limit` points: cutting the oldest would silently shorten the window a chart
 * asked for.
 */
export async function metricSeries(
  db: ControlDb,
  name: string,
  sinceMs: number,
  filter: { streamId?: string; hostId?: string; clusterWide?: boolean; limit?: number } = {},
): Promise<MetricPoint[]> {
  const limit = Math.max(1, Math.floor(filter.limit ?? DEFAULT_SERIES_LIMIT));
  const where = Prisma.sql`name = ${name} AND at >= ${tsAt(sinceMs)} ${seriesFilter(filter)}`;
  const perSeries = await db.$queryRaw<Array<{ n: number; newest: number }>>`
    SELECT count(*)::float8 AS n, ${epochMs(Prisma.sql`max(at)`)} AS newest
    FROM metric_samples WHERE ${where}
    GROUP BY stream_id, host_id`;
  if (perSeries.length === 0) return [];
  const total = perSeries.reduce((sum, s) => sum + s.n, 0);
  const newest = Math.max(...perSeries.map((s) => s.newest));
  // Bounded by the newest sample counted above, so samples landing between the two queries cannot
  // push the answer past `limit`; they show on the next read.
  const upTo = Prisma.sql`AND at <= ${tsAt(newest)}`;

  let rows: Array<{ at: number; value: number; stream_id: string | null; host_id: string | null }>;
  if (total <= limit) {
    rows = await db.$queryRaw`
      SELECT ${epochMs(Prisma.sql`at`)} AS at, value, stream_id, host_id
      FROM metric_samples WHERE ${where} ${upTo}
      ORDER BY at, id`;
  } else {
    const { originMs, widthMs } = bucketGrid(sinceMs, newest, Math.floor(limit / perSeries.length));
    // Averaged, not summed: the console plots rates (events/s, bytes/s) and gauges (sizes), and a
    // bucket's mean keeps the same unit and level whatever the bucket width, where a sum would
    // scale with the number of samples that happened to fall in it. Samples of one series at the
    // same instant (several workers reporting their share) are summed first, as the console does
    // with raw samples, so the mean is taken over instants.
    // A bucket is stamped with its newest sample's time rather than its start, so the chart's last
    // point sits at the latest sample instead of up to one bucket width in the past.
    rows = await db.$queryRaw`
      SELECT ${epochMs(Prisma.sql`max(at)`)} AS at, avg(value)::float8 AS value, stream_id, host_id
      FROM (
        SELECT stream_id, host_id, at, sum(value) AS value
        FROM metric_samples WHERE ${where} ${upTo}
        GROUP BY stream_id, host_id, at
      ) instants
      GROUP BY stream_id, host_id, floor((${epochMs(Prisma.sql`at`)} - ${originMs}::float8) / ${widthMs}::float8)
      ORDER BY 1 DESC, stream_id, host_id
      LIMIT ${limit}`;
    rows.reverse();
  }
  return rows.map((r) => ({ at: r.at, value: r.value, streamId: r.stream_id, hostId: r.host_id }));
}

function seriesFilter(filter: { streamId?: string; hostId?: string; clusterWide?: boolean }): Prisma.Sql {
  if (filter.clusterWide) return Prisma.sql`AND stream_id IS NULL AND host_id IS NULL`;
  return Prisma.sql`${filter.streamId ? Prisma.sql`AND stream_id = ${filter.streamId}` : Prisma.empty}
    ${filter.hostId ? Prisma.sql`AND host_id = ${filter.hostId}` : Prisma.empty}`;
}

/**
 * Buckets of `widthMs` from `originMs` such that [sinceMs, newestMs] touches at most `buckets` of
 * them. With room for two or more, the grid is anchored at the epoch and the width rounded up to
 * whole seconds: a chart refreshed with a window sliding forward then keeps the same bucket
 * boundaries and its older points do not shift from one refresh to the next. A span of L ms
 * touches at most floor(L / width) + 2 epoch-aligned buckets, hence the width of span / (n - 1).
 */
function bucketGrid(sinceMs: number, newestMs: number, buckets: number): { originMs: number; widthMs: number } {
  const spanMs = Math.max(0, newestMs - sinceMs) + 1;
  // More series than half the limit: one bucket each, from the window start (at most one point per
  // series; the query's LIMIT then keeps the most recently reported series).
  if (buckets < 2) return { originMs: sinceMs, widthMs: spanMs };
  const widthMs = Math.ceil(spanMs / (buckets - 1));
  return { originMs: 0, widthMs: widthMs > 1000 ? Math.ceil(widthMs / 1000) * 1000 : widthMs };
}

/** Retention: deletes samples older than `beforeMs` (epoch ms). */
export async function deleteMetricsBefore(db: ControlDb, beforeMs: number): Promise<number> {
  const res = await db.metricSample.deleteMany({ where: { at: { lt: new Date(beforeMs) } } });
  return res.count;
}
