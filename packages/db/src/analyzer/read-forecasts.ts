import type { ControlDb } from "../client.ts";
import { Prisma } from "../generated/prisma/client.ts";
import { tsAt as ts } from "../telemetry/time.ts";
import { resolutionForStep } from "./series.ts";

/** A shardlet's read forecast from the latest analyzer run that forecast its reads. */
export interface ReadForecast {
  /** Highest forecast reads/s over [fromMs, toMs). */
  peak: number;
  /** What made it: the series' chosen model, or `observed_rate` where the forecast is not trusted. */
  model: string;
  runAt: number;
}

/**
 * Each of a stream's shardlets' read forecast over [fromMs, toMs) (the buckets that start there;
 * the bucket under way counts as well), from the latest run that forecast its reads there: a run
 * over one stream forecasts only that stream's, so the latest run overall may not hold them.
 * Shardlets no run forecast (too new, not read, no run yet) are absent: callers fall back on the
 * observed read rate.
 */
export async function latestReadForecasts(
  db: ControlDb,
  q: { streamId: string; shardletIds: readonly string[]; fromMs: number; toMs: number; bucketMs: number },
): Promise<Map<string, ReadForecast>> {
  if (q.shardletIds.length === 0) return new Map();
  // The (stream_id, bucket_start) index finds the window's points of every run that forecast it.
  const rows = await db.$queryRaw<Array<{ shardlet_id: string; peak: number; model: string | null; run_at: Date }>>`
    WITH points AS (
      SELECT fp.shardlet_id, fp.run_id, fp.value, r.at, r.read_series_models ->> fp.shardlet_id AS model
      FROM forecast_points fp JOIN analyzer_runs r ON r.id = fp.run_id
      WHERE fp.stream_id = ${q.streamId} AND fp.metric = 'reads' AND fp.shardlet_id = ANY(${[...q.shardletIds]}::text[])
        AND fp.bucket_start >= ${ts(q.fromMs - q.bucketMs)} AND fp.bucket_start < ${ts(q.toMs)}),
    latest AS (SELECT DISTINCT ON (shardlet_id) shardlet_id, run_id FROM points ORDER BY shardlet_id, at DESC, run_id DESC)
    SELECT p.shardlet_id, max(p.value)::float8 AS peak, max(p.model) AS model, max(p.at) AS run_at
    FROM points p JOIN latest l ON l.shardlet_id = p.shardlet_id AND l.run_id = p.run_id
    GROUP BY p.shardlet_id`;
  return new Map(rows.map((r) => [r.shardlet_id, { peak: r.peak, model: r.model ?? "unknown", runAt: r.run_at.getTime() }]));
}

/** The key of a reader group's series: its stream and the group name its reads carry. */
export const groupSeriesKey = (streamId: string, group: string) => `${streamId}\u0000${group}`;

/**
 * Events read per second by each reader group (a consumer group's polls carry its name) in steps
 * of `bucketSec` over [fromMs, toMs), keyed by `groupSeriesKey`; a step without reads counts 0.
 */
export async function groupReadRateSeries(
  db: ControlDb,
  q: { streamIds?: readonly string[]; bucketSec: number; fromMs: number; toMs: number },
): Promise<Map<string, number[]>> {
  const stepMs = q.bucketSec * 1000;
  const steps = Math.max(0, Math.ceil((q.toMs - q.fromMs) / stepMs));
  const out = new Map<string, number[]>();
  if (steps === 0) return out;
  const streamFilter = q.streamIds ? Prisma.sql`AND stream_id = ANY(${[...q.streamIds]}::text[])` : Prisma.empty;
  const rows = await db.$queryRaw<Array<{ stream_id: string; client_group: string; step: number; reads: number }>>`
    SELECT stream_id, client_group,
           floor((extract(epoch FROM bucket_start) * 1000 - ${q.fromMs}::float8) / ${stepMs}::float8)::int AS step,
           sum(reads)::float8 AS reads
    FROM client_buckets
    WHERE resolution = ${resolutionForStep(q.bucketSec)} AND bucket_start >= ${ts(q.fromMs)} AND bucket_start < ${ts(q.toMs)} ${streamFilter}
    GROUP BY 1, 2, 3`;
  for (const r of rows) {
    if (r.step < 0 || r.step >= steps) continue;
    const key = groupSeriesKey(r.stream_id, r.client_group);
    let list = out.get(key);
    if (!list) {
      list = new Array<number>(steps).fill(0);
      out.set(key, list);
    }
    list[r.step] = r.reads / q.bucketSec;
  }
  return out;
}

/** A consumer group's read forecast as a run stored it. */
export interface GroupReadForecast {
  /** Start (epoch ms) of the first forecast step, and the step. */
  startMs: number;
  stepMs: number;
  /** Reads/s per step. */
  values: number[];
  /** The model chosen for the group's series, or `observed_rate` where its forecasts are not trusted. */
  model: string;
  runAt: number;
}

/** What a run stores of the consumer groups' read forecasts (the `group_read_forecasts` column). */
export interface StoredGroupReadForecasts {
  startMs: number;
  stepMs: number;
  groups: Record<string, { values: number[]; model: string }>;
}

/** The latest run's read forecast of a consumer group, or null when no run forecast it. */
export async function latestGroupReadForecast(db: ControlDb, groupId: string): Promise<GroupReadForecast | null> {
  const rows = await db.$queryRaw<Array<{ at: Date; start_ms: number; step_ms: number; g: { values?: unknown; model?: unknown } }>>`
    SELECT at, (group_read_forecasts ->> 'startMs')::float8 AS start_ms, (group_read_forecasts ->> 'stepMs')::float8 AS step_ms,
           group_read_forecasts -> 'groups' -> ${groupId} AS g
    FROM analyzer_runs
    WHERE group_read_forecasts -> 'groups' ? ${groupId}
    ORDER BY at DESC, id DESC LIMIT 1`;
  const r = rows[0];
  if (!r || !Array.isArray(r.g.values)) return null;
  const values = r.g.values.filter((v): v is number => typeof v === "number");
  return { startMs: r.start_ms, stepMs: r.step_ms, values, model: typeof r.g.model === "string" ? r.g.model : "unknown", runAt: r.at.getTime() };
}
