import type { ControlDb } from "./client.ts";

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

/**
 * Samples of one metric at or after `sinceMs` (epoch ms), oldest first. `clusterWide` keeps the
 * samples of no stream and no host, the whole cluster's. When more than `limit` samples match,
 * the newest are kept: a chart's latest point is the one that must be current.
 */
export async function metricSeries(
  db: ControlDb,
  name: string,
  sinceMs: number,
  filter: { streamId?: string; hostId?: string; clusterWide?: boolean; limit?: number } = {},
): Promise<MetricPoint[]> {
  const rows = await db.metricSample.findMany({
    where: {
      name,
      at: { gte: new Date(sinceMs) },
      ...(filter.streamId ? { streamId: filter.streamId } : {}),
      ...(filter.hostId ? { hostId: filter.hostId } : {}),
      ...(filter.clusterWide ? { streamId: null, hostId: null } : {}),
    },
    orderBy: { at: "desc" },
    take: filter.limit ?? 10_000,
    select: { at: true, value: true, streamId: true, hostId: true },
  });
  return rows.reverse().map((r) => ({ at: r.at.getTime(), value: r.value, streamId: r.streamId, hostId: r.hostId }));
}

/** Retention: deletes samples older than `beforeMs` (epoch ms). */
export async function deleteMetricsBefore(db: ControlDb, beforeMs: number): Promise<number> {
  const res = await db.metricSample.deleteMany({ where: { at: { lt: new Date(beforeMs) } } });
  return res.count;
}
