import { ShardcastError, type CovariateColumn } from "@shardcast/core";
import type { FeatureConfig } from "./features.ts";

export interface LstmConfig {
  /** Past steps the recurrent layer reads. */
  lookback: number;
  /** Steps forecast in one pass; longer horizons are forecast pass after pass. */
  horizon: number;
  /** Season length the model was trained with (features use each input's own period). */
  period: number;
  units: number;
  /** Width of the per-step dense layer after the recurrent encoding. */
  hidden: number;
  profileSeasons: number;
  covariates: number;
  /**
   * The covariates the model was trained with, one per column in input order (what a caller must
   * pass in `ForecastInput.covariates`). Empty for a model without covariates, and for one saved
   * before columns were named (its `covariates` columns are then read as given).
   */
  covariateColumns: CovariateColumn[];
  scaling: FeatureConfig["scaling"];
  seed: number;
  learningRate: number;
  batchSize: number;
}

export const DEFAULT_LSTM_CONFIG: LstmConfig = {
  lookback: 24,
  horizon: 48,
  period: 24,
  units: 24,
  hidden: 16,
  profileSeasons: 7,
  covariates: 0,
  covariateColumns: [],
  scaling: "level",
  seed: 42,
  learningRate: 0.003,
  batchSize: 64,
};

export function featureConfig(c: LstmConfig): FeatureConfig {
  return {
    lookback: c.lookback,
    horizon: c.horizon,
    profileSeasons: c.profileSeasons,
    covariates: c.covariates,
    scaling: c.scaling,
    ...(c.covariateColumns.length > 0 ? { columns: c.covariateColumns } : {}),
  };
}

/**
 * A config with its covariate columns: `covariates` follows them when only they are given, and
 * must agree with them otherwise.
 */
export function withColumns(c: LstmConfig, given: Partial<LstmConfig>): LstmConfig {
  const cols = c.covariateColumns;
  if (cols.length > 0 && given.covariates === undefined) return { ...c, covariates: cols.length };
  return c;
}

function isColumn(v: unknown): v is CovariateColumn {
  return isRecord(v) && typeof v.name === "string" && v.name.length > 0 && typeof v.known === "boolean" && (v.unit === "load" || v.unit === "ratio" || v.unit === "count");
}

function checkColumns(c: LstmConfig): void {
  const cols: unknown = c.covariateColumns;
  if (!Array.isArray(cols)) throw new ShardcastError("bad_request", "LSTM covariateColumns must be a list");
  const seen = new Set<string>();
  for (const col of cols as unknown[]) {
    if (!isColumn(col)) throw new ShardcastError("bad_request", "LSTM covariate column needs a name, known (true or false) and a unit (load, ratio or count)");
    if (seen.has(col.name)) throw new ShardcastError("bad_request", `LSTM covariate column ${col.name} appears twice`);
    seen.add(col.name);
  }
  if (cols.length > 0 && cols.length !== c.covariates) {
    throw new ShardcastError("bad_request", `LSTM has ${c.covariates} covariate columns but names ${cols.length}`);
  }
}

/**
 * Covariates of a series or a forecast request against the model's columns: a model with
 * covariates needs every one of them at every step it reads; a model without ignores any given.
 */
export function checkCovariates(c: LstmConfig, what: string, rows: ReadonlyArray<readonly number[]> | undefined, steps: number): void {
  if (c.covariates === 0) return;
  const names = c.covariateColumns.length > 0 ? ` (${c.covariateColumns.map((k) => k.name).join(", ")})` : "";
  if (!rows) throw new ShardcastError("bad_request", `${what} has no covariates; the model was trained with ${c.covariates}${names}`);
  if (rows.length < steps) throw new ShardcastError("bad_request", `${what} has covariates for ${rows.length} steps; it needs ${steps}`);
  for (let i = 0; i < steps; i++) {
    if (rows[i]!.length !== c.covariates) {
      throw new ShardcastError("bad_request", `${what} has ${rows[i]!.length} covariate columns at step ${i}; the model was trained with ${c.covariates}${names}`);
    }
  }
}

export function checkConfig(c: LstmConfig): void {
  const ints = ["lookback", "horizon", "period", "units", "hidden", "profileSeasons", "batchSize"] as const;
  for (const k of ints) {
    const v = c[k];
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 100_000) throw new ShardcastError("bad_request", `LSTM ${k} must be a positive integer, got ${v}`);
  }
  if (!Number.isInteger(c.covariates) || c.covariates < 0 || c.covariates > 64) throw new ShardcastError("bad_request", `LSTM covariates must be 0..64, got ${c.covariates}`);
  checkColumns(c);
  if (!(c.learningRate > 0 && c.learningRate < 1)) throw new ShardcastError("bad_request", `LSTM learningRate must be in (0, 1), got ${c.learningRate}`);
  if (c.scaling !== "level" && c.scaling !== "seasonal_mae") throw new ShardcastError("bad_request", `LSTM scaling must be level or seasonal_mae, got ${String(c.scaling)}`);
  if (!Number.isInteger(c.seed)) throw new ShardcastError("bad_request", `LSTM seed must be an integer, got ${c.seed}`);
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
