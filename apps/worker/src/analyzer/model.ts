import { holtWinters, seasonalNaive, type BatchForecaster, type ForecastInput, type ForecastModelKind, type Forecaster, type HoltWintersOptions } from "@shardcast/core";
import { getActiveModelVersion, getModelArtifact, type ControlDb } from "@shardcast/db";
import type { Logger } from "@shardcast/runtime/logger";

/**
 * The model the analyzer forecasts with: the active model version (Holt-Winters, seasonal naive,
 * or the LSTM), or Holt-Winters with per-series fitting while no version is active.
 */
export interface AnalyzerModel {
  versionId: string | null;
  kind: ForecastModelKind;
  /** Shown with the run, e.g. "lstm v3" or "holt_winters (default)". */
  label: string;
  /**
   * The synchronous forecaster `analyzeLoad` calls. A batch model (the LSTM) forecasts every
   * series in `prepare` first; its forecaster then returns those results.
   */
  forecasterFor(inputs: readonly ForecastInput[]): Promise<Forecaster>;
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
  model: BatchForecaster;
}
let lstmCache: LoadedBatch | null = null;

/** The active model, loaded once per version (the LSTM's weights are parsed only when it changes). */
export async function loadAnalyzerModel(db: ControlDb, log: Logger): Promise<AnalyzerModel> {
  const active = await getActiveModelVersion(db);
  if (!active) return syncModel(null, "holt_winters", "holt_winters (default)", holtWinters());
  const stored = await getModelArtifact(db, active.id);
  const row = { id: active.id, kind: active.kind as string, version: active.version, params: stored.params, artifact: stored.artifact };
  const label = `${row.kind} v${row.version}`;
  if (row.kind === "seasonal_naive") return syncModel(row.id, "seasonal_naive", label, seasonalNaive);
  if (row.kind === "holt_winters") return syncModel(row.id, "holt_winters", label, holtWinters(holtWintersOptions(row.params, row.artifact)));
  if (row.kind === "lstm") {
    try {
      if (lstmCache?.versionId !== row.id) {
        // Imported on demand: TensorFlow.js loads only in a worker that serves an LSTM.
        const { LstmForecaster } = await import("@shardcast/models");
        lstmCache = { versionId: row.id, model: await LstmForecaster.load(row.artifact) };
      }
      const batch = lstmCache.model;
      const fallback = holtWinters();
      return { versionId: row.id, kind: "lstm", label, forecasterFor: (inputs) => precomputed(batch, inputs, fallback) };
    } catch (err) {
      log.warn("active LSTM model does not load; forecasting with Holt-Winters", { version: row.id, error: err instanceof Error ? err.message : String(err) });
      return syncModel(null, "holt_winters", `holt_winters (${label} failed to load)`, holtWinters());
    }
  }
  log.warn("active model kind is unknown; forecasting with Holt-Winters", { kind: row.kind });
  return syncModel(null, "holt_winters", "holt_winters (default)", holtWinters());
}
