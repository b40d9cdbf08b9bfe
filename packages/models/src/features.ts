import { calendarFeatures, type CovariateColumn, type ForecastInput } from "@shardcast/core";

/**
 * Feature layout of the LSTM. Every value is scaled per window by the mean level of the recent
 * history (so one model serves series of any size), centred on 0.
 *
 * - sequence input, one row per step of the last `lookback` observations:
 *   [value, sin(hour), cos(hour), sin(weekday), cos(weekday), ...covariates]
 *   (the calendar is core's `calendarFeatures`: the middle of each step, UTC)
 * - context input, one row per step to forecast:
 *   [last season's value, last week's value, mean of the last seasons, how far last week's value
 *    stood from the mean of the seasons before it (the weekday effect), sin/cos hour, sin/cos
 *    weekday, ...covariates]
 * - base input, one value per step to forecast: the mean of the last seasons at that phase. The
 *   network predicts a correction to it, so an untrained or lightly trained model starts from a
 *   smoothed seasonal baseline rather than from zero.
 */
export interface FeatureConfig {
  lookback: number;
  horizon: number;
  /** Seasons averaged for the baseline (default 7). */
  profileSeasons: number;
  /** Number of covariate columns (0 when none). */
  covariates: number;
  /**
   * How each covariate column is read (one per column). Without it, columns are read as given at
   * every step (the layout of models saved before columns were described).
   */
  columns?: ReadonlyArray<Pick<CovariateColumn, "known" | "unit">>;
  /**
   * How a window is scaled: `level` divides by the recent mean level; `seasonal_mae` centres on
   * the level and divides by the recent seasonal naive error, so the loss weighs every series as
   * MASE does.
   */
  scaling: "level" | "seasonal_mae";
}

export const SEQ_BASE_FEATURES = 5;
export const CTX_BASE_FEATURES = 8;

const WEEK_MS = 7 * 86_400_000;

/** Calendar columns of steps [first, first + steps) (zeros when the series has no calendar). */
function calendarRows(startMs: number | undefined, stepMs: number | undefined, first: number, steps: number): (i: number) => [number, number, number, number] {
  if (startMs === undefined || stepMs === undefined || !Number.isFinite(startMs) || !(stepMs > 0)) return () => [0, 0, 0, 0];
  const cal = calendarFeatures({ startMs: startMs + first * stepMs, stepMs, steps });
  return (i) => {
    const k = i - first;
    return [cal.hourSin[k] ?? 0, cal.hourCos[k] ?? 0, cal.dowSin[k] ?? 0, cal.dowCos[k] ?? 0];
  };
}

export interface Window {
  seq: Float32Array;
  ctx: Float32Array;
  base: Float32Array;
  /** Features are (value - offset) / scale. */
  offset: number;
  scale: number;
}

/** Steps in a week for this series: from its step length, else seven seasons. */
export function weekSteps(period: number, stepMs: number | undefined): number {
  if (stepMs !== undefined && stepMs > 0) return Math.max(1, Math.round(WEEK_MS / stepMs));
  return 7 * period;
}

/** Mean absolute level of the last `span` values before `origin` (1 for an all-zero stretch). */
function levelBefore(values: ArrayLike<number>, origin: number, span: number): number {
  let sum = 0;
  let n = 0;
  for (let i = Math.max(0, origin - span); i < origin; i++) {
    sum += Math.abs(values[i]!);
    n++;
  }
  const level = n > 0 ? sum / n : 0;
  return level > 1e-9 ? level : 1;
}

/**
 * Mean absolute seasonal difference over the last `span` values before `origin` (the in-sample
 * seasonal naive error); a tenth of the level when the stretch repeats exactly or is too short.
 */
function seasonalErrorBefore(values: ArrayLike<number>, origin: number, span: number, period: number, level: number): number {
  let sum = 0;
  let n = 0;
  for (let i = Math.max(period, origin - span); i < origin; i++) {
    sum += Math.abs(values[i]! - values[i - period]!);
    n++;
  }
  const mae = n > 0 ? sum / n : 0;
  return mae > 1e-9 * level && mae > 0 ? mae : level / 10;
}

/** Mean of up to `seasons` values at the phase of `from`, going back a season at a time. */
function phaseMean(values: ArrayLike<number>, from: number, period: number, seasons: number, fallback: number): number {
  let sum = 0;
  let n = 0;
  for (let s = 0; s < seasons && from - s * period >= 0; s++) {
    sum += values[from - s * period]!;
    n++;
  }
  return n > 0 ? sum / n : fallback;
}

/**
 * Builds the features of one forecast from `origin` (values[0..origin) are known) for `horizon`
 * steps. `values` may extend past the origin (training); nothing at or after the origin is read.
 */
export function buildWindow(
  values: ArrayLike<number>,
  origin: number,
  cfg: FeatureConfig,
  period: number,
  startMs: number | undefined,
  stepMs: number | undefined,
  covariates: ReadonlyArray<readonly number[]> | undefined,
  horizon = cfg.horizon,
): Window {
  const { lookback, covariates: nCov } = cfg;
  const seqF = SEQ_BASE_FEATURES + nCov;
  const ctxF = CTX_BASE_FEATURES + nCov;
  const week = weekSteps(period, stepMs);
  const span = Math.max(lookback, period * cfg.profileSeasons);
  const level = levelBefore(values, origin, span);
  const offset = level;
  const scale = cfg.scaling === "seasonal_mae" ? seasonalErrorBefore(values, origin, span, period, level) : level;
  const norm = (v: number) => (v - offset) / scale;
  const first = Math.max(0, origin - lookback);
  const calendar = calendarRows(startMs, stepMs, first, origin + horizon - first);
  const cols = cfg.columns;
  const cov = (i: number, c: number): number => {
    const col = cols?.[c];
    // An observed column is not known past the origin: its last observed value stands in.
    const at = col && !col.known && i >= origin ? origin - 1 : i;
    const v = at >= 0 ? (covariates?.[at]?.[c] ?? 0) : 0;
    if (!col || !Number.isFinite(v)) return Number.isFinite(v) ? v : 0;
    if (col.unit === "load") return v / scale;
    if (col.unit === "count") return Math.log1p(Math.max(0, v));
    return v;
  };

  const seq = new Float32Array(lookback * seqF);
  for (let k = 0; k < lookback; k++) {
    // Left-pad a short history with its first value.
    const i = Math.max(0, origin - lookback + k);
    const o = k * seqF;
    seq[o] = norm(origin > 0 ? values[i]! : 0);
    const [hs, hc, ws, wc] = calendar(i);
    seq[o + 1] = hs;
    seq[o + 2] = hc;
    seq[o + 3] = ws;
    seq[o + 4] = wc;
    for (let c = 0; c < nCov; c++) seq[o + SEQ_BASE_FEATURES + c] = cov(i, c);
  }

  const seasons = Math.max(1, cfg.profileSeasons);
  const ctx = new Float32Array(horizon * ctxF);
  const base = new Float32Array(horizon);
  for (let h = 0; h < horizon; h++) {
    const t = origin + h;
    // The latest observed step at the same phase of the season (and of the week).
    const lastSeason = origin > 0 ? t - period * (Math.floor(h / period) + 1) : -1;
    const seasonal = lastSeason >= 0 ? values[lastSeason]! : origin > 0 ? values[origin - 1]! : 0;
    const lastWeek = t - week * (Math.floor(h / week) + 1);
    const weekly = lastWeek >= 0 ? values[lastWeek]! : seasonal;
    const profile = lastSeason >= 0 ? phaseMean(values, lastSeason, period, seasons, seasonal) : seasonal;
    const weekEffect = lastWeek >= period ? weekly - phaseMean(values, lastWeek - period, period, seasons, weekly) : 0;
    const o = h * ctxF;
    ctx[o] = norm(seasonal);
    ctx[o + 1] = norm(weekly);
    ctx[o + 2] = norm(profile);
    ctx[o + 3] = weekEffect / scale;
    const [hs, hc, ws, wc] = calendar(t);
    ctx[o + 4] = hs;
    ctx[o + 5] = hc;
    ctx[o + 6] = ws;
    ctx[o + 7] = wc;
    for (let c = 0; c < nCov; c++) ctx[o + CTX_BASE_FEATURES + c] = cov(t, c);
    base[h] = norm(profile);
  }
  return { seq, ctx, base, offset, scale };
}

/** The window for a forecast request: the origin is the end of its history. */
export function windowForInput(input: ForecastInput, cfg: FeatureConfig, horizon = cfg.horizon): Window {
  return buildWindow(input.history, input.history.length, cfg, input.period, input.startMs, input.stepMs, input.covariates, horizon);
}
