import { ShardcastError } from "../errors.ts";
import { ForecastErrorTracker, SHARDLET_ERROR_TRACKER_OPTIONS, type SeriesTrackingState } from "../forecast/tracking.ts";
import type { RoutingTable } from "../routing.ts";
import type { ShardletRoute } from "../types.ts";
import type { LoadForecast, LoadForecastSeries, LoadForecastStatus } from "./load-forecast-schema.ts";

/**
 * The predicted load of a stream, a shardlet or a key's shardlet, from what the latest analyzer run
 * stored: its write and read forecasts per shardlet, the model that made each, and each series'
 * recent error from the per-shardlet error trackers (one for writes, one for reads). Pure: `@shardcast/db`'s `streamLoadForecast` reads the rows and
 * shapes them here, for the edge and the console alike.
 */

export interface LoadForecastQuery {
  /** One shardlet, by id. */
  shardletId?: string;
  /** The shardlet whose hash range holds this routing key. */
  key?: string;
  /** Seconds ahead, at most what the run forecast (default: all of it). */
  horizonSec?: number;
}

export type LoadForecastScope =
  | { kind: "stream"; shardlets: readonly ShardletRoute[] }
  | { kind: "shardlet"; shardlet: ShardletRoute; key: string | null };

/** What the asked forecast covers, on the stream's current routes: a 404 for a shardlet they do not route. */
export function loadForecastScope(table: RoutingTable, q: LoadForecastQuery): LoadForecastScope {
  if (q.shardletId !== undefined && q.key !== undefined) throw new ShardcastError("bad_request", "give a shardlet or a key, not both: a key names its shardlet");
  if (q.key !== undefined) return { kind: "shardlet", shardlet: table.route(q.key), key: q.key };
  if (q.shardletId === undefined) return { kind: "stream", shardlets: table.all() };
  const shardlet = table.byId(q.shardletId);
  if (!shardlet) throw new ShardcastError("not_found", `stream ${table.streamId} routes no shardlet ${q.shardletId} (unknown, or retired by a split, merge or hand-off)`);
  return { kind: "shardlet", shardlet, key: null };
}

export function scopeShardlets(scope: LoadForecastScope): readonly ShardletRoute[] {
  return scope.kind === "stream" ? scope.shardlets : [scope.shardlet];
}

/** One rate's forecasts of the scope's shardlets, as a run stored them. */
export interface ForecastRows {
  /** Per shardlet: step starts (ms) and forecast events/s, oldest first. */
  forecasts: ReadonlyMap<string, ReadonlyArray<{ t: number; value: number }>>;
  /** Per shardlet: what made its forecast, as the run recorded it. */
  models: ReadonlyMap<string, string>;
  /** Per shardlet: its series of the error tracker's saved state (JSON as stored, checked here). */
  tracked: ReadonlyMap<string, unknown>;
}

/** What the latest analyzer run that forecast the stream stored for the scope's shardlets: writes, and reads. */
export interface LoadForecastRows extends ForecastRows {
  run: { id: string; at: number; bucketSec: number; horizonSec: number; model: string; forecastStart: number };
  reads: ForecastRows;
}

export interface LoadForecastInput {
  stream: string;
  scope: LoadForecastScope;
  /** Null when no analyzer run has forecast the stream. */
  rows: LoadForecastRows | null;
  horizonSec?: number;
  nowMs: number;
}

export function loadForecast(input: LoadForecastInput): LoadForecast {
  const shardlets = scopeShardlets(input.scope);
  const scope: LoadForecast["scope"] =
    input.scope.kind === "stream"
      ? { kind: "stream" }
      : { kind: "shardlet", shardletId: input.scope.shardlet.id, range: { lo: input.scope.shardlet.lo, hi: input.scope.shardlet.hi }, key: input.scope.key };
  const base = { stream: input.stream, scope };
  const rows = input.rows;
  if (!rows) {
    return {
      ...base,
      status: "no_run",
      reason: "no analyzer run has forecast this stream yet: a new stream gets its first forecast at the analyzer's next run",
      run: null,
      bucketSec: null,
      horizonSec: input.horizonSec ?? null,
      points: [],
      series: unforecast(shardlets),
      reads: { points: [], series: unforecast(shardlets) },
      readsReason: "no analyzer run has forecast this stream yet",
    };
  }
  const { run } = rows;
  if (input.horizonSec !== undefined && input.horizonSec > run.horizonSec) {
    throw new ShardcastError("bad_request", `horizon must be at most ${run.horizonSec} s: the latest analyzer run forecast ${run.horizonSec} s ahead`, { maxHorizonSec: run.horizonSec });
  }
  const horizonSec = input.horizonSec ?? run.horizonSec;
  const stepMs = run.bucketSec * 1000;
  // The steps that start within the horizon: a horizon between two step starts takes the step it began.
  const endMs = run.forecastStart + Math.ceil(horizonSec / run.bucketSec) * stepMs;
  const writes = summed(shardlets, rows, run.forecastStart, endMs);
  const reads = summed(shardlets, rows.reads, run.forecastStart, endMs);
  const series = writes.series;
  const { status, reason } = statusOf(run, series, input.nowMs);
  return {
    ...base,
    status,
    reason,
    run: { id: run.id, at: run.at, model: run.model, forecastStart: run.forecastStart, horizonSec: run.horizonSec },
    bucketSec: run.bucketSec,
    horizonSec,
    points: writes.points.map(([t, writesPerSec]) => ({ t, writesPerSec })),
    series,
    reads: { points: reads.points.map(([t, readsPerSec]) => ({ t, readsPerSec })), series: reads.series },
    readsReason: reads.points.length > 0 ? null : "no shardlet of this scope was read over the analyzer's history: there are no reads to forecast",
  };
}

function unforecast(shardlets: readonly ShardletRoute[]): LoadForecastSeries[] {
  return shardlets.map((s) => ({ shardletId: s.id, range: { lo: s.lo, hi: s.hi }, forecast: false, model: null, error: null }));
}

/** One rate's forecast summed over the shardlets per step in [startMs, endMs), and each shardlet's series. */
function summed(shardlets: readonly ShardletRoute[], rows: ForecastRows, startMs: number, endMs: number): { points: Array<[number, number]>; series: LoadForecastSeries[] } {
  const sums = new Map<number, number>();
  for (const s of shardlets) {
    for (const p of rows.forecasts.get(s.id) ?? []) if (p.t >= startMs && p.t < endMs) sums.set(p.t, (sums.get(p.t) ?? 0) + p.value);
  }
  const errors = trackedErrors(rows.tracked);
  const series = shardlets.map((s) => ({
    shardletId: s.id,
    range: { lo: s.lo, hi: s.hi },
    forecast: (rows.forecasts.get(s.id)?.length ?? 0) > 0,
    model: rows.models.get(s.id) ?? null,
    error: errors(s.id),
  }));
  return { points: [...sums].sort((a, b) => a[0] - b[0]), series };
}

function statusOf(run: LoadForecastRows["run"], series: readonly LoadForecastSeries[], nowMs: number): { status: LoadForecastStatus; reason: string | null } {
  const reasons: string[] = [];
  let status: LoadForecastStatus = "ok";
  const runEnd = run.forecastStart + Math.round(run.horizonSec / run.bucketSec) * run.bucketSec * 1000;
  if (runEnd <= nowMs) {
    status = "expired";
    reasons.push(`the latest analyzer run's forecast ended at ${new Date(runEnd).toISOString()}: the analyzer has not forecast this stream since (is it disabled?)`);
  }
  const missing = series.filter((s) => !s.forecast).length;
  if (missing > 0) {
    if (status === "ok") status = "partial";
    reasons.push(
      series.length === 1
        ? "this shardlet is younger than the latest analyzer run: it has no forecast until the next run"
        : `${missing} of ${series.length} shardlets are younger than the latest analyzer run and have no forecast until the next run: the points sum the others`,
    );
  }
  return { status, reason: reasons.length > 0 ? reasons.join("; ") : null };
}

const MASE_DIGITS = 1000;

/** Each series' recent error as the analyzer's tracker judges it; a series saved in another shape counts as none. */
function trackedErrors(tracked: ReadonlyMap<string, unknown>): (shardletId: string) => LoadForecastSeries["error"] {
  const series: Record<string, SeriesTrackingState> = {};
  for (const [id, saved] of tracked) if (isTrackedSeries(saved)) series[id] = saved;
  const tracker = new ForecastErrorTracker(SHARDLET_ERROR_TRACKER_OPTIONS, { version: 1, series });
  return (id) => {
    const saved = series[id];
    if (!saved) return null;
    const t = tracker.status(id);
    if (t.rollingError === null) return null;
    return {
      mase: Math.round(t.rollingError * MASE_DIGITS) / MASE_DIGITS,
      steps: Math.min(tracker.options.window, saved.errors.length),
      trusted: t.trusted,
      untrustedReason: tracker.describe(id),
    };
  };
}

function isTrackedSeries(v: unknown): v is SeriesTrackingState {
  if (typeof v !== "object" || v === null) return false;
  const s = v as Partial<Record<keyof SeriesTrackingState, unknown>>;
  return Array.isArray(s.errors) && s.errors.every((e) => typeof e === "number" && Number.isFinite(e)) && typeof s.trusted === "boolean" && (s.reason === null || typeof s.reason === "string");
}
