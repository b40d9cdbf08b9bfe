import {
  ShardcastError,
  doubleSeasonalHoltWinters,
  holtWinters,
  seasonalNaive,
  selectingForecaster,
  standardCandidates,
  validationInputs,
  weeklyNaive,
  type AnalyzerOutput,
  type BatchForecaster,
  type DoubleSeasonalOptions,
  type ForecastInput,
  type ForecastModelKind,
  type Forecaster,
  type HoltWintersOptions,
  type SelectionOptions,
} from "@shardcast/core";
import { getActiveModelVersion, getModelArtifact, type ControlDb } from "@shardcast/db";
import type { LstmForecaster } from "@shardcast/models";
import type { Logger } from "@shardcast/runtime/logger";
import { knownCovariateColumn } from "../training/covariates.ts";

/**
 * The model the analyzer forecasts with: the active model version (Holt-Winters, seasonal naive,
 * weekly naive, double-seasonal Holt-Winters or the LSTM), or, while no version is active or the
 * active one is a `selection`, the best model per series (see `selectionFor`).
 */
export interface AnalyzerModel {
  versionId: string | null;
  kind: ForecastModelKind;
  /** Shown with the run, e.g. "lstm v3" or "selection (default)". */
  label: string;
  /**
   * The synchronous forecaster `analyzeLoad` calls. A batch model (the LSTM) forecasts every
   * series in `prepare` first; its forecaster then returns those results.
   */
  forecasterFor(inputs: readonly ForecastInput[]): Promise<Forecaster>;
  /**
   * For a selecting model: the model that forecast the series with this history in the last
   * `forecasterFor` round (null when it was not forecast, or the model does not select).
   */
  chosenFor?(history: readonly number[]): ForecastModelKind | null;
  /**
   * Covariate columns every `ForecastInput` must carry, in this order (the LSTM's, when it was
   * trained with covariates); absent when the model reads none.
   */
  covariates?: readonly string[];
}

/**
 * What made a shardlet's stored forecast, kept with the run: the model chosen for its series (or
 * the served model's kind), `observed_rate` where the run planned on the observed rate because its
 * forecasts missed, `last_rate` where no model forecast it (it failed, or there was no history).
 */
export function seriesModelName(model: AnalyzerModel, out: Pick<AnalyzerOutput, "modelForecasts" | "carried">, s: { id: string; history: readonly number[] }): string {
  if (out.modelForecasts.has(s.id)) return "observed_rate";
  if (out.carried.has(s.id)) return "last_rate";
  return model.chosenFor?.(s.history) ?? model.kind;
}

const HW_OPTION_KEYS = ["alpha", "beta", "gamma", "phi", "dampingChoices", "maxSeasons", "refineRounds", "fitLead"] as const;

/** Holt-Winters options stored with a version (in its artifact or params), fields checked one by one. */
export function holtWintersOptions(...sources: unknown[]): HoltWintersOptions {
  const out: Record<string, unknown> = {};
  for (const src of sources) {
    if (typeof src !== "object" || src === null || Array.isArray(src)) continue;
    const rec = src as Record<string, unknown>;
    const opts = typeof rec.options === "object" && rec.options !== null ? (rec.options as Record<string, unknown>) : rec;
    for (const k of HW_OPTION_KEYS) {
      const v = opts[k];
      if (k === "dampingChoices" ? Array.isArray(v) && v.every((x) => typeof x === "number") : typeof v === "number" && Number.isFinite(v)) out[k] = v;
    }
  }
  return out;
}

function syncModel(versionId: string | null, kind: ForecastModelKind, label: string, f: Forecaster): AnalyzerModel {
  return { versionId, kind, label, forecasterFor: () => Promise.resolve(f) };
}

/**
 * A batch model's results behind the synchronous interface: looked up by the history array the
 * analyzer passes (the same object it was prepared with); anything else falls back to `fallback`.
 */
export async function precomputed(batch: BatchForecaster, inputs: readonly ForecastInput[], fallback: Forecaster): Promise<Forecaster> {
  const results = inputs.length > 0 ? await batch.forecastMany(inputs) : [];
  const byHistory = new Map<readonly number[], number[]>();
  inputs.forEach((input, i) => {
    const r = results[i];
    if (r) byHistory.set(input.history, r);
  });
  return {
    kind: batch.kind,
    forecast(input) {
      const hit = byHistory.get(input.history);
      return hit && hit.length >= input.horizon ? hit.slice(0, input.horizon) : fallback.forecast(input);
    },
  };
}

interface LoadedBatch {
  versionId: string;
  model: LstmForecaster;
}
let lstmCache: LoadedBatch | null = null;

/**
 * The covariate columns the analyzer must build for an LSTM: none for one trained without; an
 * error for one trained with columns the analyzer cannot build (unnamed, or unknown here), so it
 * is never served misaligned columns.
 */
export function lstmCovariates(config: Pick<LstmForecaster["config"], "covariates" | "covariateColumns">): string[] {
  if (config.covariates === 0) return [];
  if (config.covariateColumns.length !== config.covariates) throw new ShardcastError("bad_request", `the LSTM reads ${config.covariates} unnamed covariate columns the analyzer cannot build`);
  for (const c of config.covariateColumns) {
    const mine = knownCovariateColumn(c.name);
    if (!mine || mine.known !== c.known || mine.unit !== c.unit) throw new ShardcastError("bad_request", `the LSTM reads covariate ${c.name}, which the analyzer does not build as trained`);
  }
  return config.covariateColumns.map((c) => c.name);
}

/** The LSTM version's network, parsed once per version (throws when it does not load). */
async function loadLstm(versionId: string, artifact: unknown): Promise<LstmForecaster> {
  if (lstmCache?.versionId !== versionId) {
    // Imported on demand: TensorFlow.js loads only in a worker that serves an LSTM.
    const { LstmForecaster } = await import("@shardcast/models");
    lstmCache = { versionId, model: await LstmForecaster.load(artifact) };
  }
  return lstmCache.model;
}

/**
 * How a series is scored before its model is chosen: forecasts of up to a horizon from three
 * origins over the last day (or the last two horizons, when longer), about a season of steps.
 */
export function analyzerSelectionOptions(horizon: number, period: number): SelectionOptions {
  const validationSteps = Math.max(1, Math.max(period, 2 * horizon));
  return { validationSteps, maxOrigins: 3, stride: Math.max(1, Math.ceil(validationSteps / 3)) };
}

/** Double-seasonal options stored with a version (in its artifact or params), fields checked one by one. */
export function doubleSeasonalOptions(...sources: unknown[]): DoubleSeasonalOptions {
  const out: Record<string, number> = {};
  for (const src of sources) {
    if (typeof src !== "object" || src === null || Array.isArray(src)) continue;
    const rec = src as Record<string, unknown>;
    const nested = rec.doubleSeasonal ?? rec.options;
    const opts = typeof nested === "object" && nested !== null ? (nested as Record<string, unknown>) : rec;
    for (const k of ["alpha", "beta", "gammaDay", "gammaWeek", "phi", "ar", "maxWeeks", "refineRounds", "fitLead"] as const) {
      const v = opts[k];
      if (typeof v === "number" && Number.isFinite(v)) out[k] = v;
    }
  }
  return out;
}

/**
 * Per-series selection among the standard candidates (and the LSTM, when one serves): every
 * series is scored on the end of its own history and forecast with the model that did best there;
 * the LSTM wins a series only where its validation forecasts beat the others'. The LSTM forecasts
 * the validation requests and the real ones in one batch.
 */
export function selectionModel(
  versionId: string | null,
  label: string,
  opts: { holtWinters?: HoltWintersOptions; doubleSeasonal?: DoubleSeasonalOptions; lstm?: BatchForecaster; covariates?: readonly string[] } = {},
): AnalyzerModel {
  let chosen = new Map<readonly number[], ForecastModelKind>();
  return {
    versionId,
    kind: "selection",
    label,
    ...(opts.lstm && opts.covariates && opts.covariates.length > 0 ? { covariates: opts.covariates } : {}),
    chosenFor: (history) => chosen.get(history) ?? null,
    async forecasterFor(inputs) {
      const round = new Map<readonly number[], ForecastModelKind>();
      chosen = round;
      const first = inputs[0];
      const sel = (input: ForecastInput) => analyzerSelectionOptions(input.horizon, input.period);
      let extra: Forecaster[] = [];
      if (opts.lstm && first) {
        const requests = inputs.flatMap((i) => [i, ...validationInputs(i, sel(i))]);
        extra = [await precomputed(opts.lstm, requests, holtWinters(opts.holtWinters ?? {}))];
      }
      const candidates = standardCandidates({ ...opts, extra });
      // One selection per distinct horizon and period; the analyzer uses one of each per run.
      const selections = new Map<string, ReturnType<typeof selectingForecaster>>();
      return {
        kind: "selection",
        forecast(input) {
          const key = `${input.horizon}:${input.period}`;
          let s = selections.get(key);
          if (!s) {
            s = selectingForecaster(candidates, sel(input));
            selections.set(key, s);
          }
          const choice = s.forecastWithChoice(input);
          round.set(input.history, choice.kind);
          return choice.values;
        },
      };
    },
  };
}

/** The active model, loaded once per version (the LSTM's weights are parsed only when it changes). */
export async function loadAnalyzerModel(db: ControlDb, log: Logger): Promise<AnalyzerModel> {
  const active = await getActiveModelVersion(db);
  if (!active) return selectionModel(null, "selection (default)");
  const stored = await getModelArtifact(db, active.id);
  const row = { id: active.id, kind: active.kind as string, version: active.version, params: stored.params, artifact: stored.artifact };
  const label = `${row.kind} v${row.version}`;
  if (row.kind === "seasonal_naive") return syncModel(row.id, "seasonal_naive", label, seasonalNaive);
  if (row.kind === "weekly_naive") return syncModel(row.id, "weekly_naive", label, weeklyNaive);
  if (row.kind === "holt_winters") return syncModel(row.id, "holt_winters", label, holtWinters(holtWintersOptions(row.params, row.artifact)));
  if (row.kind === "double_seasonal") return syncModel(row.id, "double_seasonal", label, doubleSeasonalHoltWinters(doubleSeasonalOptions(row.params, row.artifact)));
  if (row.kind === "selection" || row.kind === "ensemble") {
    // A selection version stores the fitting options of its smoothing candidates; it serves with
    // the LSTM among them when an LSTM version was trained and still loads.
    const hw = holtWintersOptions(objectField(row.artifact, "holtWinters"));
    const ds = doubleSeasonalOptions(objectField(row.artifact, "doubleSeasonal"));
    const lstmId = objectField(row.artifact, "lstmVersionId");
    let lstm: { model: BatchForecaster; covariates: string[] } | undefined;
    if (typeof lstmId === "string") {
      try {
        const art = await getModelArtifact(db, lstmId);
        const model = await loadLstm(lstmId, art.artifact);
        lstm = { model, covariates: lstmCovariates(model.config) };
      } catch (err) {
        log.warn("the LSTM of the selection does not load or cannot be served its covariates; selecting without it", { version: lstmId, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return selectionModel(row.id, label, { holtWinters: hw, doubleSeasonal: ds, ...(lstm ? { lstm: lstm.model, covariates: lstm.covariates } : {}) });
  }
  if (row.kind === "lstm") {
    try {
      const batch = await loadLstm(row.id, row.artifact);
      const covariates = lstmCovariates(batch.config);
      const fallback = holtWinters();
      return { versionId: row.id, kind: "lstm", label, ...(covariates.length > 0 ? { covariates } : {}), forecasterFor: (inputs) => precomputed(batch, inputs, fallback) };
    } catch (err) {
      log.warn("active LSTM model does not load or cannot be served its covariates; forecasting with the best model per series", { version: row.id, error: err instanceof Error ? err.message : String(err) });
      return selectionModel(null, `selection (${label} failed to load)`);
    }
  }
  log.warn("active model kind is unknown; forecasting with the best model per series", { kind: row.kind });
  return selectionModel(null, "selection (default)");
}

function objectField(src: unknown, key: string): unknown {
  return typeof src === "object" && src !== null && !Array.isArray(src) ? (src as Record<string, unknown>)[key] : undefined;
}
