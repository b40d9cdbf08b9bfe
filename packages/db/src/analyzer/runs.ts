import type { ControlDb } from "../client.ts";
import { Prisma } from "../generated/prisma/client.ts";
import { toCapacityPlanJson, type StoredCapacityPlan } from "../capacity/plans.ts";
import { tsAt as ts } from "../telemetry/time.ts";
import type { StoredGroupReadForecasts } from "./read-forecasts.ts";
import type { RateMetric } from "./series.ts";

export interface RankingEntry {
  shardletId: string;
  predictedPeak: number;
  /** Write rate counted as overload (events/s). */
  threshold: number;
  overloadInSec: number | null;
  score: number;
}

export interface NewAnalyzerRun {
  at: Date;
  horizonSec: number;
  bucketSec: number;
  modelVersionId: string | null;
  ranking: readonly RankingEntry[];
  /** Start (epoch ms) of the first forecast bucket. */
  forecastStartMs: number;
  /** `model`: what made the values (the series' chosen model, or the observed rate), kept per run. */
  forecasts: ReadonlyArray<{ shardletId: string; streamId: string; values: readonly number[]; model?: string }>;
  /** The capacity plan (runs over every stream with capacity planning on). */
  capacityPlan?: StoredCapacityPlan | null;
  /** The cluster forecast error tracker's state after this run (JSON). */
  forecastTracker?: unknown;
  /** The per-shardlet forecast error tracker's state after this run (JSON); earlier runs' is cleared. */
  shardletTracker?: unknown;
  /** Read forecasts, as `forecasts` for writes (same start and step). */
  readForecasts?: ReadonlyArray<{ shardletId: string; streamId: string; values: readonly number[]; model?: string }>;
  /** The per-shardlet read forecast error tracker's state after this run (JSON); earlier runs' is cleared. */
  readTracker?: unknown;
  /** Each consumer group's read forecast (same start and step as the shardlets'). */
  groupReadForecasts?: Record<string, { values: readonly number[]; model: string }>;
}

export interface AnalyzerRunInfo {
  id: string;
  at: Date;
  horizonSec: number;
  bucketSec: number;
  modelVersionId: string | null;
  ranking: RankingEntry[];
}

const POINTS_PER_STATEMENT = 20_000;

/** Stores a run and its forecast points (one row per shardlet and step) in one transaction. */
export async function recordAnalyzerRun(db: ControlDb, run: NewAnalyzerRun): Promise<{ id: string; points: number }> {
  const stepMs = run.bucketSec * 1000;
  const shardletIds: string[] = [];
  const streamIds: string[] = [];
  const metrics: RateMetric[] = [];
  const starts: number[] = [];
  const values: number[] = [];
  const models: Record<RateMetric, Record<string, string>> = { writes: {}, reads: {} };
  const add = (metric: RateMetric, forecasts: NewAnalyzerRun["forecasts"]) => {
    for (const f of forecasts) {
      if (f.model !== undefined) models[metric][f.shardletId] = f.model;
      f.values.forEach((v, i) => {
        shardletIds.push(f.shardletId);
        streamIds.push(f.streamId);
        metrics.push(metric);
        starts.push(run.forecastStartMs + i * stepMs);
        values.push(Number.isFinite(v) ? v : 0);
      });
    }
  };
  add("writes", run.forecasts);
  add("reads", run.readForecasts ?? []);
  const json = (v: unknown) => JSON.parse(JSON.stringify(v)) as Prisma.InputJsonValue;
  return db.$transaction(
    async (tx) => {
      const row = await tx.analyzerRun.create({
        data: {
          at: run.at,
          horizonSec: run.horizonSec,
          bucketSec: run.bucketSec,
          modelVersionId: run.modelVersionId,
          ranking: run.ranking as unknown as Prisma.InputJsonValue,
          ...(run.capacityPlan ? { capacityPlan: toCapacityPlanJson(run.capacityPlan) } : {}),
          ...(run.forecastTracker != null ? { forecastTracker: json(run.forecastTracker) } : {}),
          ...(run.shardletTracker != null ? { shardletTracker: json(run.shardletTracker) } : {}),
          ...(run.readTracker != null ? { readTracker: json(run.readTracker) } : {}),
          ...(Object.keys(models.writes).length > 0 ? { seriesModels: models.writes } : {}),
          ...(Object.keys(models.reads).length > 0 ? { readSeriesModels: models.reads } : {}),
          ...(run.groupReadForecasts && Object.keys(run.groupReadForecasts).length > 0 ? { groupReadForecasts: json(groupForecasts(run, run.groupReadForecasts)) } : {}),
        },
        select: { id: true },
      });
      // Each tracker holds every live shardlet: only the latest run keeps one.
      if (run.shardletTracker != null) {
        await tx.analyzerRun.updateMany({ where: { id: { not: row.id }, shardletTracker: { not: Prisma.AnyNull } }, data: { shardletTracker: Prisma.DbNull } });
      }
      if (run.readTracker != null) {
        await tx.analyzerRun.updateMany({ where: { id: { not: row.id }, readTracker: { not: Prisma.AnyNull } }, data: { readTracker: Prisma.DbNull } });
      }
      for (let i = 0; i < values.length; i += POINTS_PER_STATEMENT) {
        const end = i + POINTS_PER_STATEMENT;
        await tx.$executeRaw`
          INSERT INTO forecast_points (run_id, shardlet_id, stream_id, metric, bucket_start, value)
          SELECT ${row.id}, t.shardlet_id, t.stream_id, t.metric, timestamp '1970-01-01 00:00:00' + t.ms * interval '1 millisecond', t.value
          FROM unnest(${shardletIds.slice(i, end)}::text[], ${streamIds.slice(i, end)}::text[], ${metrics.slice(i, end)}::text[],
                      ${starts.slice(i, end)}::float8[], ${values.slice(i, end)}::float8[])
            AS t(shardlet_id, stream_id, metric, ms, value)`;
      }
      return { id: row.id, points: values.length };
    },
    { timeout: 60_000 },
  );
}

function groupForecasts(run: NewAnalyzerRun, groups: NonNullable<NewAnalyzerRun["groupReadForecasts"]>): StoredGroupReadForecasts {
  const out: StoredGroupReadForecasts = { startMs: run.forecastStartMs, stepMs: run.bucketSec * 1000, groups: {} };
  for (const [id, f] of Object.entries(groups)) out.groups[id] = { values: f.values.map((v) => (Number.isFinite(v) ? v : 0)), model: f.model };
  return out;
}

/** The columns of `AnalyzerRunInfo`: not the plan and tracker states, which can be large. */
const RUN_INFO_SELECT = { id: true, at: true, horizonSec: true, bucketSec: true, modelVersionId: true, ranking: true } as const;

function toRunInfo(r: { id: string; at: Date; horizonSec: number; bucketSec: number; modelVersionId: string | null; ranking: unknown }): AnalyzerRunInfo {
  return {
    id: r.id,
    at: r.at,
    horizonSec: r.horizonSec,
    bucketSec: r.bucketSec,
    modelVersionId: r.modelVersionId,
    ranking: Array.isArray(r.ranking) ? (r.ranking as RankingEntry[]) : [],
  };
}

/** The latest run; with `streamId`, the latest that forecast that stream. */
export async function latestAnalyzerRun(db: ControlDb, filter: { streamId?: string } = {}): Promise<AnalyzerRunInfo | null> {
  if (!filter.streamId) {
    const row = await db.analyzerRun.findFirst({ orderBy: [{ at: "desc" }, { id: "desc" }], select: RUN_INFO_SELECT });
    return row ? toRunInfo(row) : null;
  }
  const rows = await db.$queryRaw<Array<{ run_id: string }>>`
    SELECT fp.run_id FROM forecast_points fp JOIN analyzer_runs r ON r.id = fp.run_id
    WHERE fp.stream_id = ${filter.streamId}
    ORDER BY fp.bucket_start DESC, r.at DESC LIMIT 1`;
  const id = rows[0]?.run_id;
  if (!id) return null;
  const row = await db.analyzerRun.findUnique({ where: { id }, select: RUN_INFO_SELECT });
  return row ? toRunInfo(row) : null;
}

export async function countAnalyzerRuns(db: ControlDb): Promise<number> {
  return db.analyzerRun.count();
}

/** A run's forecast per shardlet: bucket starts (ms) and values, oldest first. */
export async function runForecasts(
  db: ControlDb,
  runId: string,
  shardletIds?: readonly string[],
  metric: RateMetric = "writes",
): Promise<Map<string, Array<{ t: number; value: number }>>> {
  const rows = await db.forecastPoint.findMany({
    where: { runId, metric, ...(shardletIds ? { shardletId: { in: [...shardletIds] } } : {}) },
    orderBy: [{ shardletId: "asc" }, { bucketStart: "asc" }],
    select: { shardletId: true, bucketStart: true, value: true },
  });
  const out = new Map<string, Array<{ t: number; value: number }>>();
  for (const r of rows) {
    const list = out.get(r.shardletId) ?? [];
    list.push({ t: r.bucketStart.getTime(), value: r.value });
    out.set(r.shardletId, list);
  }
  return out;
}

/** What made each of these shardlets' forecasts in a run (see `NewAnalyzerRun.forecasts`); none for runs before it was kept. */
export async function runSeriesModels(db: ControlDb, runId: string, shardletIds: readonly string[], metric: RateMetric = "writes"): Promise<Map<string, string>> {
  const column = metric === "reads" ? Prisma.sql`r.read_series_models` : Prisma.sql`r.series_models`;
  const rows = await db.$queryRaw<Array<{ shardlet_id: string; model: string }>>`
    SELECT i.id AS shardlet_id, ${column} ->> i.id AS model
    FROM analyzer_runs r, unnest(${[...shardletIds]}::text[]) AS i(id)
    WHERE r.id = ${runId} AND jsonb_typeof(${column} -> i.id) = 'string'`;
  return new Map(rows.map((r) => [r.shardlet_id, r.model]));
}

/** Start (ms) of a run's first forecast step (every series of a run starts there), null for a run without points. */
export async function runForecastStart(db: ControlDb, runId: string): Promise<number | null> {
  // The primary key's order: one index row, not a scan of the run's points.
  const row = await db.forecastPoint.findFirst({ where: { runId, metric: "writes" }, orderBy: [{ shardletId: "asc" }, { bucketStart: "asc" }], select: { bucketStart: true } });
  return row ? row.bucketStart.getTime() : null;
}

/**
 * What was forecast for a shardlet's past buckets: for each bucket in [fromMs, toMs), the value of
 * the latest run made before the bucket ended (so it had not seen the bucket).
 */
export async function pastForecasts(
  db: ControlDb,
  q: { streamId: string; shardletId: string; fromMs: number; toMs: number; bucketSec: number; metric?: RateMetric },
): Promise<Array<{ t: number; value: number }>> {
  const rows = await db.$queryRaw<Array<{ bucket_start: Date; value: number }>>`
    SELECT DISTINCT ON (fp.bucket_start) fp.bucket_start, fp.value
    FROM forecast_points fp JOIN analyzer_runs r ON r.id = fp.run_id
    WHERE fp.stream_id = ${q.streamId} AND fp.shardlet_id = ${q.shardletId} AND fp.metric = ${q.metric ?? "writes"}
      AND fp.bucket_start >= ${ts(q.fromMs)} AND fp.bucket_start < ${ts(q.toMs)}
      AND r.at < fp.bucket_start + make_interval(secs => ${q.bucketSec}::float8) AND r.bucket_sec = ${q.bucketSec}
    ORDER BY fp.bucket_start, r.at DESC`;
  return rows.map((r) => ({ t: r.bucket_start.getTime(), value: r.value }));
}

/**
 * Deletes forecast points of runs older than `before`, and those runs unless a proposal of theirs
 * was applied or is still open (kept, with their reasons, for the history).
 */
export async function deleteAnalyzerDataBefore(db: ControlDb, beforeMs: number): Promise<{ runs: number; points: number }> {
  const points = await db.$executeRaw`
    DELETE FROM forecast_points WHERE run_id IN (SELECT id FROM analyzer_runs WHERE at < ${ts(beforeMs)})`;
  const runs = await db.$executeRaw`
    DELETE FROM analyzer_runs r WHERE r.at < ${ts(beforeMs)}
      AND NOT EXISTS (SELECT 1 FROM analyzer_proposals p WHERE p.run_id = r.id AND p.status IN ('applied', 'open'))`;
  return { runs, points };
}
