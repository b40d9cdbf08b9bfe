import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  forecastStartMs,
  isRoutedState,
  minimumSeriesLength,
  parseTraceCsv,
  resampleTrace,
  SHARDLET_COVARIATE_COLUMNS,
  type AnalyzerSettings,
  type CovariateColumn,
  type EvaluationSeries,
} from "@shardcast/core";
import { listShardlets, rateSeries, type ControlDb } from "@shardcast/db";
import { buildGroupCovariates, informativeColumns, loadCovariateTelemetry, shardletGroups, streamGroup, type CovariateSeries } from "./covariates.ts";

/** What a model is trained and scored on: series at one step length with one season length. */
export interface Corpus {
  source: "telemetry" | "traces";
  /** Why this source (shown in the progress note and stored in the version's params). */
  note: string;
  series: EvaluationSeries[];
  stepMs: number;
  period: number;
  /** Steps held out at the end of every series for scoring. */
  holdout: number;
  /**
   * The covariate columns every series carries (`EvaluationSeries.covariates`, one row per value),
   * empty when there are none (the shipped traces have no telemetry beside their load).
   */
  covariates: CovariateColumn[];
}

export interface CorpusOptions {
  /** Telemetry step (s); default the analyzer's bucket. */
  bucketSec?: number;
  /** Steps per season; default the analyzer's period. */
  period?: number;
  /** Held-out steps; default the analyzer's horizon. */
  holdout?: number;
  /** Steps of telemetry read per series (default 12 seasons plus the holdout, at most 20,000). */
  historySteps?: number;
  /** Most series trained on (the busiest; default 64). */
  maxSeries?: number;
  /** Folder of the shipped traces (the fallback corpus). */
  tracesDir?: string;
  /**
   * Build each telemetry series' covariates (reader activity, popularity, co-access, hinted rate;
   * default true). Only columns with information in the corpus are kept.
   */
  covariates?: boolean;
}

/**
 * The traces shipped with the source tree: data/traces at the repository root, the first one found
 * above this module (apps/worker/src/training from source, apps/worker/dist in the bundle).
 */
export function defaultTracesDir(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "data", "traces");
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return path.resolve(here, "../../../../data/traces");
  }
}

/** The hourly traces: a daily season, two days held out. */
export const TRACE_CORPUS = { folder: "dos_load_prediction", stepMs: 3_600_000, period: 24, holdout: 48 } as const;

/**
 * The pre-training corpus: the shipped hourly load traces (five services, one to three weeks each).
 * Used while telemetry is too short to hold two seasons and a held-out window.
 */
export async function loadTraceCorpus(tracesDir: string, note: string): Promise<Corpus> {
  const dir = path.join(tracesDir, TRACE_CORPUS.folder);
  const files = (await readdir(dir)).filter((f) => f.endsWith(".csv")).sort();
  const series: EvaluationSeries[] = [];
  for (const f of files) {
    const trace = parseTraceCsv(f.replace(/\.csv$/, ""), await readFile(path.join(dir, f), "utf8"));
    const r = resampleTrace(trace, TRACE_CORPUS.stepMs, "mean");
    series.push({ name: trace.name, values: r.values, startMs: r.startMs, stepMs: r.stepMs });
  }
  const min = minimumSeriesLength({ holdout: TRACE_CORPUS.holdout, period: TRACE_CORPUS.period });
  return {
    source: "traces",
    note,
    series: series.filter((s) => s.values.length >= min),
    stepMs: TRACE_CORPUS.stepMs,
    period: TRACE_CORPUS.period,
    holdout: TRACE_CORPUS.holdout,
    covariates: [],
  };
}

function total(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s;
}

/** Drops the leading stretch without traffic (a shardlet or stream that did not exist yet). */
function trimLeadingZeros(values: readonly number[]): { offset: number; values: number[] } {
  let i = 0;
  while (i < values.length && values[i] === 0) i++;
  return { offset: i, values: values.slice(i) };
}

/**
 * Write-rate series from rolled-up telemetry: every stream's total and every live shardlet's own
 * series, at the analyzer's step, the busiest first. Falls back to the shipped traces (and says
 * why) when no series holds two seasons plus the held-out window.
 */
export async function loadCorpus(
  db: ControlDb,
  opts: CorpusOptions & { nowMs: number; analyzer: AnalyzerSettings },
): Promise<Corpus> {
  const a = opts.analyzer;
  const bucketSec = opts.bucketSec ?? a.bucketSec;
  const period = opts.period ?? a.period;
  const holdout = opts.holdout ?? Math.max(1, Math.round(a.horizonSec / bucketSec));
  const stepMs = bucketSec * 1000;
  const steps = Math.min(20_000, opts.historySteps ?? 12 * period + holdout);
  const min = minimumSeriesLength({ holdout, period });
  const toMs = forecastStartMs(opts.nowMs, { bucketSec, telemetryLagSec: a.telemetryLagSec });
  const fromMs = toMs - steps * stepMs;
  const tracesDir = opts.tracesDir ?? defaultTracesDir();

  const [rates, shardlets] = await Promise.all([rateSeries(db, { metric: "writes", bucketSec, fromMs, toMs }), listShardlets(db)]);
  const live = new Map(shardlets.filter((s) => isRoutedState(s.state)).map((s) => [s.id, s]));
  const streamOf = new Map(shardlets.map((s) => [s.id, s.streamId]));
  const streams = new Map<string, number[]>();
  const candidates: Array<EvaluationSeries & { volume: number; key: string; offset: number }> = [];
  for (const [id, values] of rates) {
    const streamId = streamOf.get(id);
    if (streamId) {
      const sum = streams.get(streamId) ?? new Array<number>(values.length).fill(0);
      for (let i = 0; i < values.length; i++) sum[i]! += values[i]!;
      streams.set(streamId, sum);
    }
    if (!live.has(id)) continue;
    const t = trimLeadingZeros(values);
    if (t.values.length < min) continue;
    candidates.push({ name: `shardlet ${id}`, key: id, offset: t.offset, values: t.values, startMs: fromMs + t.offset * stepMs, stepMs, volume: total(t.values) });
  }
  for (const [streamId, values] of streams) {
    const t = trimLeadingZeros(values);
    if (t.values.length < min) continue;
    candidates.push({ name: `stream ${streamId}`, key: `stream:${streamId}`, offset: t.offset, values: t.values, startMs: fromMs + t.offset * stepMs, stepMs, volume: total(t.values) });
  }
  const usable = candidates.filter((c) => c.volume > 0).sort((x, y) => y.volume - x.volume || x.name.localeCompare(y.name));
  if (usable.length === 0) {
    const have = rates.size === 0 ? "there is no telemetry yet" : "no telemetry series is long enough yet";
    return loadTraceCorpus(
      tracesDir,
      `${have} (need ${min} steps of ${bucketSec} s: two seasons of ${period} steps plus ${holdout} held out); pre-training on the shipped traces`,
    );
  }
  const chosen = usable.slice(0, opts.maxSeries ?? 64);
  let series: EvaluationSeries[] = chosen.map(({ volume: _volume, key: _key, offset: _offset, ...s }) => s);
  let covariates: CovariateColumn[] = [];
  if (opts.covariates !== false) {
    // Every shardlet of a stream with its range (retired ones too: they are part of its total).
    const members: CovariateSeries[] = [];
    const byId = new Map(shardlets.map((s) => [s.id, s]));
    for (const [id, values] of rates) {
      const s = byId.get(id);
      if (s) members.push({ key: id, streamId: s.streamId, lo: s.lo, hi: s.hi, load: values });
    }
    const telemetry = await loadCovariateTelemetry(db, { bucketSec, fromMs, toMs, horizonSteps: 0 });
    const all = SHARDLET_COVARIATE_COLUMNS.map((c) => c.name);
    const build = { startMs: fromMs, stepMs, horizon: 0, names: all };
    const ofShardlets = buildGroupCovariates(shardletGroups(members), telemetry, build);
    const ofStreams = buildGroupCovariates([streamGroup(streams)], telemetry, build);
    const rowsOf = (c: (typeof chosen)[number]) => (c.key.startsWith("stream:") ? ofStreams.get(c.key.slice("stream:".length)) : ofShardlets.get(c.key))?.slice(c.offset) ?? [];
    const names = informativeColumns(all, chosen.map(rowsOf));
    covariates = SHARDLET_COVARIATE_COLUMNS.filter((c) => names.includes(c.name)).map((c) => ({ ...c }));
    if (covariates.length > 0) {
      const idx = covariates.map((c) => all.indexOf(c.name));
      series = chosen.map((c, i) => {
        const rows = rowsOf(c);
        return { ...series[i]!, covariates: c.values.map((_, k) => idx.map((j) => rows[k]?.[j] ?? 0)) };
      });
    }
  }
  return {
    source: "telemetry",
    note: `${series.length} telemetry series of up to ${steps} steps of ${bucketSec} s${covariates.length > 0 ? ` with covariates ${covariates.map((c) => c.name).join(", ")}` : ""}`,
    series,
    stepMs,
    period,
    holdout,
    covariates,
  };
}
