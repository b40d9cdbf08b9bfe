import { forecastStartMs, isRoutedState, ShardcastError, type ShardletState } from "@shardcast/core";
import {
  getAnalyzerSettings,
  getLifecycleSettings,
  getShardletRow,
  latestAnalyzerRun,
  listAnalyzerProposals,
  listPlannerNotes,
  listShardlets,
  modelVersionLabel,
  pastForecasts,
  runForecasts,
  runSeriesModels,
  rateSeries,
  type AnalyzerRunInfo,
  type ControlDb,
  type RankingEntry,
  type RateMetric,
} from "@shardcast/db";
import { rangeView, type RangeView } from "../routers/shared.ts";
import { loadLabels, proposalView } from "./analyzer-views.ts";
import { placementSettings } from "./placement-settings.ts";

/**
 * The load heatmap: time x shardlet, the actual past (telemetry write or read rates) beside the
 * forecast future of the latest analyzer run, split at the run's forecast start. And one
 * shardlet's forecast against what actually happened.
 */

export interface HeatmapRow {
  shardletId: string;
  streamId: string;
  streamName: string;
  hostId: string;
  hostName: string;
  range: RangeView;
  state: ShardletState;
  /** Writes/s (or reads/s) per time column; null where there is nothing to show (before the shardlet existed, no forecast). */
  values: Array<number | null>;
  predictedPeak: number | null;
  overloadInSec: number | null;
  /** Kind of the shardlet's open proposal, if any. */
  proposal: "split" | "migrate" | null;
  /** Why the last analyzer run did not trust this shardlet's forecast (it planned on the observed rate), or null. */
  untrusted: string | null;
}

export interface HeatmapRun {
  id: string;
  at: Date;
  model: string;
  bucketSec: number;
  horizonSec: number;
}

export interface Heatmap {
  metric: RateMetric;
  bucketSec: number;
  /** First forecast column (ms): columns before it are actual, from it on forecast. */
  boundaryMs: number;
  times: number[];
  kinds: Array<"actual" | "forecast">;
  /** Rate counted as hot: for writes the analyzer's overload (its fraction of the split write rate), for reads the replica threshold. */
  threshold: number;
  splitWriteRate: number;
  /** Largest value on the map (at least the threshold), for the colour scale. */
  maxValue: number;
  run: HeatmapRun | null;
  rows: HeatmapRow[];
  /** Shardlets matching the filter; more than `rows` when the map was cut to the hottest. */
  totalRows: number;
}

interface Frame {
  run: AnalyzerRunInfo | null;
  bucketSec: number;
  stepMs: number;
  horizonSteps: number;
  boundaryMs: number;
  forecasts: Map<string, Array<{ t: number; value: number }>>;
}

/**
 * The time frame of a view: the latest run that forecast these shardlets, while its forecast still
 * reaches past now; otherwise the current forecast start and no forecast.
 */
async function frame(db: ControlDb, q: { streamId?: string; shardletIds: readonly string[]; nowMs: number; metric: RateMetric }): Promise<Frame> {
  const settings = await getAnalyzerSettings(db);
  const run = await latestAnalyzerRun(db, q.streamId ? { streamId: q.streamId } : {});
  const current = forecastStartMs(q.nowMs, settings);
  if (run) {
    const stepMs = run.bucketSec * 1000;
    const forecasts = await runForecasts(db, run.id, q.shardletIds, q.metric);
    let start = Infinity;
    for (const list of forecasts.values()) if (list[0] && list[0].t < start) start = list[0].t;
    const horizonSteps = Math.max(1, Math.round(run.horizonSec / run.bucketSec));
    if (Number.isFinite(start) && start + horizonSteps * stepMs > current) {
      return { run, bucketSec: run.bucketSec, stepMs, horizonSteps, boundaryMs: start, forecasts };
    }
  }
  const stepMs = settings.bucketSec * 1000;
  return { run: null, bucketSec: settings.bucketSec, stepMs, horizonSteps: settings.horizonSec / settings.bucketSec, boundaryMs: current, forecasts: new Map() };
}

function rankingOf(run: AnalyzerRunInfo | null): Map<string, RankingEntry> {
  return new Map((run?.ranking ?? []).map((r) => [r.shardletId, r]));
}

async function runView(db: ControlDb, run: AnalyzerRunInfo | null): Promise<HeatmapRun | null> {
  if (!run) return null;
  return { id: run.id, at: run.at, model: await modelVersionLabel(db, run.modelVersionId), bucketSec: run.bucketSec, horizonSec: run.horizonSec };
}

export async function heatmapCells(
  db: ControlDb,
  q: { streamId?: string; hostId?: string; pastSteps: number; maxRows: number; nowMs: number; metric?: RateMetric },
): Promise<Heatmap> {
  const metric = q.metric ?? "writes";
  const [settings, lifecycle, placement, all] = await Promise.all([
    getAnalyzerSettings(db),
    getLifecycleSettings(db),
    placementSettings.get(db),
    listShardlets(db, { ...(q.streamId ? { streamId: q.streamId } : {}), ...(q.hostId ? { hostId: q.hostId } : {}) }),
  ]);
  const live = all.filter((s) => isRoutedState(s.state));
  const ids = live.map((s) => s.id);
  const f = await frame(db, { ...(q.streamId ? { streamId: q.streamId } : {}), shardletIds: ids, nowMs: q.nowMs, metric });
  const fromMs = f.boundaryMs - q.pastSteps * f.stepMs;
  const [actual, labels, open, notes, readModels] = await Promise.all([
    live.length > 0 ? rateSeries(db, { metric, shardletIds: ids, bucketSec: f.bucketSec, fromMs, toMs: f.boundaryMs }) : Promise.resolve(new Map<string, number[]>()),
    loadLabels(db, []),
    metric === "writes" ? listAnalyzerProposals(db, { status: "open", limit: 500, ...(q.streamId ? { streamId: q.streamId } : {}) }) : Promise.resolve([]),
    metric === "writes" ? listPlannerNotes(db, { source: "analyzer", limit: 500, ...(q.streamId ? { streamId: q.streamId } : {}) }) : Promise.resolve([]),
    metric === "reads" && f.run && ids.length > 0 ? runSeriesModels(db, f.run.id, ids, "reads") : Promise.resolve(new Map<string, string>()),
  ]);
  const untrusted = new Map<string, string>();
  for (const n of notes) {
    const why = (n.details as { untrusted?: unknown } | null)?.untrusted;
    if (n.shardletId && typeof why === "string") untrusted.set(n.shardletId, why);
  }
  // A read forecast the run did not trust was stored as the observed rate held flat.
  for (const [id, model] of readModels) if (model === "observed_rate") untrusted.set(id, "its recent read forecasts missed: the observed read rate is shown");
  const times: number[] = [];
  const kinds: Heatmap["kinds"] = [];
  for (let i = 0; i < q.pastSteps; i++) {
    times.push(fromMs + i * f.stepMs);
    kinds.push("actual");
  }
  const futureSteps = f.run ? f.horizonSteps : 0;
  for (let i = 0; i < futureSteps; i++) {
    times.push(f.boundaryMs + i * f.stepMs);
    kinds.push("forecast");
  }
  const ranking = rankingOf(f.run);
  const proposalOf = new Map<string, "split" | "migrate">();
  for (const p of open) if (p.shardletId && (p.kind === "split" || p.kind === "migrate") && !proposalOf.has(p.shardletId)) proposalOf.set(p.shardletId, p.kind);
  const threshold = metric === "reads" ? placement.settings.replicaMinReadsPerSec : settings.overloadFraction * lifecycle.splitWriteRate;
  const peakOf = (id: string) => {
    const points = f.forecasts.get(id);
    return points && points.length > 0 ? Math.max(...points.map((p) => p.value)) : null;
  };

  let rows: HeatmapRow[] = live.map((s) => {
    const past = actual.get(s.id);
    const created = s.createdAt.getTime();
    const forecastAt = new Map((f.forecasts.get(s.id) ?? []).map((p) => [p.t, p.value]));
    const values = times.map((t, i): number | null => {
      if (kinds[i] === "actual") {
        const v = past?.[i] ?? 0;
        // No writes before the shardlet existed means "not there yet", not "cold".
        return v === 0 && t + f.stepMs <= created ? null : v;
      }
      return forecastAt.get(t) ?? null;
    });
    const r = ranking.get(s.id);
    return {
      shardletId: s.id,
      streamId: s.streamId,
      streamName: labels.stream(s.streamId) ?? s.streamId,
      hostId: s.hostId,
      hostName: labels.host(s.hostId) ?? s.hostId,
      range: rangeView(s.lo, s.hi),
      state: s.state,
      values,
      predictedPeak: metric === "reads" ? peakOf(s.id) : (r?.predictedPeak ?? null),
      overloadInSec: metric === "reads" ? null : (r?.overloadInSec ?? null),
      proposal: proposalOf.get(s.id) ?? null,
      untrusted: untrusted.get(s.id) ?? null,
    };
  });
  const totalRows = rows.length;
  if (rows.length > q.maxRows) {
    // The hottest rows (past or forecast) when the map cannot show every shardlet.
    const heat = (r: HeatmapRow) => Math.max(0, ...r.values.map((v) => v ?? 0));
    rows = [...rows].sort((a, b) => heat(b) - heat(a)).slice(0, q.maxRows);
  }
  rows.sort((a, b) => a.streamName.localeCompare(b.streamName) || a.range.lo - b.range.lo);
  let maxValue = threshold;
  for (const r of rows) for (const v of r.values) if (v !== null && v > maxValue) maxValue = v;
  return {
    metric,
    bucketSec: f.bucketSec,
    boundaryMs: f.boundaryMs,
    times,
    kinds,
    threshold,
    splitWriteRate: lifecycle.splitWriteRate,
    maxValue,
    run: await runView(db, f.run),
    rows,
    totalRows,
  };
}

export async function shardletForecast(db: ControlDb, q: { shardletId: string; pastSteps: number; nowMs: number; metric?: RateMetric }) {
  const metric = q.metric ?? "writes";
  const s = await getShardletRow(db, q.shardletId);
  if (!s) throw new ShardcastError("not_found", `Shardlet ${q.shardletId} does not exist.`);
  const [settings, lifecycle, placement] = await Promise.all([getAnalyzerSettings(db), getLifecycleSettings(db), placementSettings.get(db)]);
  const f = await frame(db, { streamId: s.streamId, shardletIds: [s.id], nowMs: q.nowMs, metric });
  const current = forecastStartMs(q.nowMs, { bucketSec: f.bucketSec, telemetryLagSec: settings.telemetryLagSec });
  const fromMs = f.boundaryMs - q.pastSteps * f.stepMs;
  // Actual up to what telemetry has now, even past the run's forecast start: the two overlap there.
  const actualTo = Math.max(f.boundaryMs, current);
  const [actual, past, proposals, labels] = await Promise.all([
    rateSeries(db, { metric, shardletIds: [s.id], bucketSec: f.bucketSec, fromMs, toMs: actualTo }),
    pastForecasts(db, { streamId: s.streamId, shardletId: s.id, fromMs, toMs: actualTo, bucketSec: f.bucketSec, metric }),
    listAnalyzerProposals(db, { shardletId: s.id, limit: 20 }),
    loadLabels(db, [s.id]),
  ]);
  const points = new Map<number, { t: number; actual: number | null; forecast: number | null; pastForecast: number | null }>();
  const at = (t: number) => {
    let p = points.get(t);
    if (!p) {
      p = { t, actual: null, forecast: null, pastForecast: null };
      points.set(t, p);
    }
    return p;
  };
  const series = actual.get(s.id);
  const created = s.createdAt.getTime();
  for (let t = fromMs, i = 0; t < actualTo; t += f.stepMs, i++) {
    const v = series?.[i] ?? 0;
    if (v > 0 || t + f.stepMs > created) at(t).actual = v;
  }
  for (const p of past) at(p.t).pastForecast = p.value;
  for (const p of f.forecasts.get(s.id) ?? []) at(p.t).forecast = p.value;
  const rank = rankingOf(f.run).get(s.id) ?? null;
  return {
    metric,
    shardlet: {
      id: s.id,
      streamId: s.streamId,
      streamName: labels.stream(s.streamId) ?? s.streamId,
      hostId: s.hostId,
      hostName: labels.host(s.hostId) ?? s.hostId,
      range: rangeView(Number(s.lo), Number(s.hi)),
      state: s.state,
      epoch: s.epoch,
      writeRate: s.writeRate,
      sizeBytes: Number(s.sizeBytes),
      capacityBytes: Number(s.capacityBytes),
    },
    bucketSec: f.bucketSec,
    boundaryMs: f.boundaryMs,
    threshold: metric === "reads" ? placement.settings.replicaMinReadsPerSec : settings.overloadFraction * lifecycle.splitWriteRate,
    splitWriteRate: lifecycle.splitWriteRate,
    run: await runView(db, f.run),
    ranking: rank && metric === "writes" ? { predictedPeak: rank.predictedPeak, overloadInSec: rank.overloadInSec, score: rank.score } : null,
    points: [...points.values()].sort((a, b) => a.t - b.t),
    proposals: proposals.map((p) => proposalView(p, labels)),
  };
}
