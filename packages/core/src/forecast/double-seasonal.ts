import { fitHoltWinters, holtWintersForecast, type HoltWintersOptions } from "./holt-winters.ts";
import { checkForecastInput, seasonalNaiveForecast } from "./seasonal-naive.ts";
import { dampedTrendSums, refineCoordinates, twoBlockStart } from "./smoothing.ts";
import type { ForecastInput, Forecaster } from "./types.ts";
import { weekPeriod } from "./weekly-naive.ts";

/**
 * Taylor's double-seasonal Holt-Winters (additive, damped trend), in error-correction form:
 *
 *   forecast  f = level + phi * trend + day[t mod period] + week[t mod 7 * period]
 *   error     e = y - f
 *   level' = level + phi * trend + alpha * e        trend' = phi * trend + beta * alpha * e
 *   day'   = day + gammaDay * e                     week'  = week + gammaWeek * e
 *
 * The daily indices carry the shape shared by every day, the weekly ones what differs between
 * weekdays (weekends, a Monday peak). As Taylor (2003) found for load, the one-step errors of such
 * a model stay autocorrelated; `ar` (fitted as the lag-1 autocorrelation of the in-sample errors)
 * adds ar^h times the last error to the forecast h steps ahead.
 */
export interface DoubleSeasonalParams {
  alpha: number;
  beta: number;
  gammaDay: number;
  gammaWeek: number;
  /** Trend damping (1 = undamped). */
  phi: number;
  /** Weight of the last one-step error in the forecast (0 = none). */
  ar: number;
}

export interface DoubleSeasonalOptions {
  /** Fixed parameters; those left out are fitted per series. */
  alpha?: number;
  beta?: number;
  gammaDay?: number;
  gammaWeek?: number;
  phi?: number;
  /** Fix the error-autocorrelation weight (0 turns the adjustment off); omitted, it is estimated. */
  ar?: number;
  /** Fit and filter over at most this many weeks at the end of the history (default 4). */
  maxWeeks?: number;
  /** Rounds of coordinate refinement after the coarse grid (default 2; 0 = grid only). */
  refineRounds?: number;
  /**
   * Steps ahead the fit minimises errors over (default 1): like Holt-Winters' `fitLead`, a larger
   * value scores forecasts of that many steps from an origin every that many steps.
   */
  fitLead?: number;
}

export interface DoubleSeasonalFit {
  params: DoubleSeasonalParams;
  /** Mean squared error of the fit's objective per filtered step (NaN when nothing was fitted). */
  mse: number;
  /** False when the history is shorter than two weeks: the single-season Holt-Winters then serves. */
  weekly: boolean;
}

export const DEFAULT_DOUBLE_SEASONAL_PARAMS: DoubleSeasonalParams = { alpha: 0.2, beta: 0.01, gammaDay: 0.1, gammaWeek: 0.1, phi: 0.95, ar: 0 };

interface State {
  level: number;
  trend: number;
  day: Float64Array;
  week: Float64Array;
  /** Index the next observation has. */
  t: number;
  /** The last one-step error, and sums for its lag-1 autocorrelation. */
  lastError: number;
  sumLag: number;
  sumSq: number;
}

// 12 grid points and 2 refinement rounds over 5 parameters: about 32 filter passes, so a fit of a
// 500-point series stays well under a millisecond-scale budget per series in the simulator.
const ALPHAS = [0.05, 0.2, 0.5];
const GAMMAS_DAY = [0.05, 0.2];
const GAMMAS_WEEK = [0.05, 0.2];
const PARAM_KEYS = ["alpha", "beta", "gammaDay", "gammaWeek", "phi"] as const;

/** Whether a history of `n` steps holds the two weeks (plus a step) the weekly states start from. */
export function hasTwoWeeks(n: number, period: number): boolean {
  return period >= 1 && n >= 2 * weekPeriod(period) + 1;
}

function recent(history: readonly number[], period: number, maxWeeks: number): readonly number[] {
  const max = Math.max(2, maxWeeks) * weekPeriod(period) + 1;
  return history.length > max ? history.slice(history.length - max) : history;
}

/**
 * Initial states from the first two weeks: the level and slope from the two weekly means, the daily
 * indices from the mean shape of their fourteen days, the weekly ones from what is left per step.
 * Filtering starts at the second week, with states as of the end of the first.
 */
function initialState(y: readonly number[], period: number): State {
  const wk = weekPeriod(period);
  const { m1, m2, level, trend, deviation } = twoBlockStart(y, wk);
  const day = new Float64Array(period);
  for (let i = 0; i < 2 * wk; i++) day[i % period]! += y[i]! - (i < wk ? m1 : m2);
  const days = (2 * wk) / period;
  for (let j = 0; j < period; j++) day[j] = day[j]! / days;
  // The weekly indices: each step's deviation less the daily shape.
  const week = deviation;
  for (let i = 0; i < wk; i++) week[i] = week[i]! - day[i % period]!;
  return { level, trend, day, week, t: wk, lastError: 0, sumLag: 0, sumSq: 0 };
}

function cloneState(s: State): State {
  return { ...s, day: Float64Array.from(s.day), week: Float64Array.from(s.week) };
}

/** Runs the filter over y from `s` (left holding the final states); returns the objective's squared errors. */
function filter(y: readonly number[], period: number, p: DoubleSeasonalParams, s: State, lead = 1): number {
  const { alpha, beta, gammaDay, gammaWeek, phi } = p;
  const wk = s.week.length;
  const day = s.day;
  const week = s.week;
  let level = s.level;
  let trend = s.trend;
  let last = s.lastError;
  let sumLag = s.sumLag;
  let sumSq = s.sumSq;
  let sse = 0;
  const damps = dampedTrendSums(phi, lead);
  for (let t = s.t; t < y.length; t++) {
    const di = t % period;
    const wi = t % wk;
    const base = level + phi * trend;
    const e = y[t]! - (base + day[di]! + week[wi]!);
    if (lead === 1) sse += e * e;
    else if ((t - s.t) % lead === 0) {
      for (let h = 1; h <= lead && t + h - 1 < y.length; h++) {
        const k = t + h - 1;
        const eh = y[k]! - (level + damps[h - 1]! * trend + day[k % period]! + week[k % wk]!);
        sse += eh * eh;
      }
    }
    sumLag += e * last;
    sumSq += e * e;
    last = e;
    level = base + alpha * e;
    trend = phi * trend + beta * alpha * e;
    day[di] = day[di]! + gammaDay * e;
    week[wi] = week[wi]! + gammaWeek * e;
  }
  s.level = level;
  s.trend = trend;
  s.t = y.length;
  s.lastError = last;
  s.sumLag = sumLag;
  s.sumSq = sumSq;
  return sse;
}

function arOf(s: State, fixed: number | undefined): number {
  if (fixed !== undefined) return fixed;
  const r = s.sumSq > 0 ? s.sumLag / s.sumSq : 0;
  // Only positive persistence is carried forward, and never as a full copy of the last error.
  return Number.isFinite(r) ? Math.min(0.9, Math.max(0, r)) : 0;
}

/** Single-season Holt-Winters settings matching double-seasonal ones, for histories under two weeks. */
function singleSeasonOptions(opts: DoubleSeasonalOptions): HoltWintersOptions {
  return {
    ...(opts.alpha !== undefined ? { alpha: opts.alpha } : {}),
    ...(opts.beta !== undefined ? { beta: opts.beta } : {}),
    ...(opts.gammaDay !== undefined ? { gamma: opts.gammaDay } : {}),
    ...(opts.phi !== undefined ? { phi: opts.phi } : {}),
    ...(opts.fitLead !== undefined ? { fitLead: opts.fitLead } : {}),
  };
}

/**
 * Fits the smoothing parameters to one series by least squared error (one-step, or over `fitLead`
 * steps): a 12-point grid over alpha and the two seasonal gammas, then coordinate search with
 * shrinking steps over every free parameter. `ar` is estimated from the errors of the winner.
 */
export function fitDoubleSeasonal(history: readonly number[], period: number, opts: DoubleSeasonalOptions = {}): DoubleSeasonalFit {
  const fixed: DoubleSeasonalParams = {
    alpha: opts.alpha ?? DEFAULT_DOUBLE_SEASONAL_PARAMS.alpha,
    beta: opts.beta ?? DEFAULT_DOUBLE_SEASONAL_PARAMS.beta,
    gammaDay: opts.gammaDay ?? DEFAULT_DOUBLE_SEASONAL_PARAMS.gammaDay,
    gammaWeek: opts.gammaWeek ?? DEFAULT_DOUBLE_SEASONAL_PARAMS.gammaWeek,
    phi: opts.phi ?? DEFAULT_DOUBLE_SEASONAL_PARAMS.phi,
    ar: opts.ar ?? 0,
  };
  const y = recent(history, period, opts.maxWeeks ?? 4);
  if (!hasTwoWeeks(y.length, period)) {
    const hw = fitHoltWinters(history, period, singleSeasonOptions(opts));
    return { params: { ...fixed, alpha: hw.params.alpha, beta: hw.params.beta, gammaDay: hw.params.gamma, phi: hw.params.phi, ar: 0 }, mse: hw.mse, weekly: false };
  }
  const init = initialState(y, period);
  const lead = Math.max(1, Math.floor(opts.fitLead ?? 1));
  const cost = (p: DoubleSeasonalParams) => filter(y, period, p, cloneState(init), lead);

  let best = fixed;
  let bestCost = Infinity;
  for (const alpha of opts.alpha !== undefined ? [opts.alpha] : ALPHAS) {
    for (const gammaDay of opts.gammaDay !== undefined ? [opts.gammaDay] : GAMMAS_DAY) {
      for (const gammaWeek of opts.gammaWeek !== undefined ? [opts.gammaWeek] : GAMMAS_WEEK) {
        const p = { ...fixed, alpha, gammaDay, gammaWeek };
        const c = cost(p);
        if (c < bestCost) {
          bestCost = c;
          best = p;
        }
      }
    }
  }
  const free = PARAM_KEYS.filter((k) => opts[k] === undefined);
  const refined = refineCoordinates(
    { best, cost: bestCost },
    free,
    opts.refineRounds ?? 2,
    (key, current, dir, step) => {
      const raw = current + dir * (key === "phi" || key === "beta" ? step / 4 : step);
      return key === "phi" ? Math.min(1, Math.max(0.8, raw)) : key === "beta" ? Math.min(0.5, Math.max(0, raw)) : Math.min(0.999, Math.max(0.001, raw));
    },
    cost,
  );
  const s = cloneState(init);
  filter(y, period, refined.best, s);
  return { params: { ...refined.best, ar: arOf(s, opts.ar) }, mse: refined.cost / (y.length - init.t), weekly: true };
}

/**
 * Forecasts `horizon` steps with given parameters (no fitting): the fast path for callers that
 * forecast many series per step with parameters fitted earlier. A history shorter than two weeks
 * gets single-season Holt-Winters with the same alpha, beta, phi and gammaDay as its gamma.
 */
export function doubleSeasonalForecast(
  history: readonly number[],
  horizon: number,
  period: number,
  params: DoubleSeasonalParams,
  opts: { maxWeeks?: number } = {},
): number[] {
  const y = recent(history, period, opts.maxWeeks ?? 4);
  if (!hasTwoWeeks(y.length, period)) {
    if (history.length < 3) return seasonalNaiveForecast(history, horizon, period);
    return holtWintersForecast(history, horizon, period, { alpha: params.alpha, beta: params.beta, gamma: params.gammaDay, phi: params.phi });
  }
  const s = initialState(y, period);
  filter(y, period, params, s);
  const wk = s.week.length;
  const n = y.length;
  const out = new Array<number>(horizon);
  const damps = dampedTrendSums(params.phi, horizon);
  let arPow = 1;
  for (let h = 1; h <= horizon; h++) {
    arPow *= params.ar;
    const k = n + h - 1;
    const v = s.level + damps[h - 1]! * s.trend + s.day[k % period]! + s.week[k % wk]! + arPow * s.lastError;
    out[h - 1] = v > 0 && Number.isFinite(v) ? v : 0;
  }
  return out;
}

/**
 * Double-seasonal Holt-Winters with parameters fitted per series (see `fitDoubleSeasonal`). Under
 * two weeks of history it is single-season Holt-Winters fitted the same way; under three points,
 * seasonal naive. The forecaster keeps the kind `double_seasonal` in every case, since the choice
 * of fallback is part of the model.
 */
export function doubleSeasonalHoltWinters(opts: DoubleSeasonalOptions = {}): Forecaster {
  return {
    kind: "double_seasonal",
    forecast(input: ForecastInput): number[] {
      checkForecastInput(input);
      if (input.horizon === 0) return [];
      if (input.history.length < 3) return seasonalNaiveForecast(input.history, input.horizon, input.period);
      const fit = fitDoubleSeasonal(input.history, input.period, opts);
      return doubleSeasonalForecast(input.history, input.horizon, input.period, fit.params, opts);
    },
  };
}
