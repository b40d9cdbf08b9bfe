import { checkForecastInput, seasonalNaiveForecast } from "./seasonal-naive.ts";
import { dampedTrendSums, refineCoordinates, twoBlockStart } from "./smoothing.ts";
import type { ForecastInput, Forecaster } from "./types.ts";

/** Smoothing parameters of additive Holt-Winters; `phi` < 1 damps the trend. */
export interface HoltWintersParams {
  alpha: number;
  beta: number;
  gamma: number;
  phi: number;
}

export interface HoltWintersOptions {
  /** Fixed parameters; those left out are fitted per series. */
  alpha?: number;
  beta?: number;
  gamma?: number;
  /**
   * Trend damping. A number fixes it (1 = undamped); omitted, the fit chooses among the
   * `dampingChoices`. Damping keeps a trend from running away over long horizons.
   */
  phi?: number;
  dampingChoices?: readonly number[];
  /**
   * Fit and filter over at most this many seasons at the end of the history (default 12): older
   * data hardly moves the states and would only cost time when thousands of series are forecast.
   */
  maxSeasons?: number;
  /** Rounds of coordinate refinement after the coarse grid (default 3; 0 = grid only). */
  refineRounds?: number;
  /**
   * Steps ahead the fit minimises errors over: 1 (default) is the classic one-step fit; a larger
   * value (e.g. a season) scores forecasts of that many steps from an origin every that many
   * steps, which suits long horizons and costs about twice as much.
   */
  fitLead?: number;
}

export interface HoltWintersFit {
  params: HoltWintersParams;
  /** Mean squared one-step error of the fit (in the series' units squared). */
  mse: number;
  /** Whether seasonality was fitted (needs two full seasons); otherwise a damped Holt trend. */
  seasonal: boolean;
}

interface State {
  level: number;
  trend: number;
  /** Seasonal indices, position t mod period. */
  season: Float64Array;
  /** Index the next observation has. */
  t: number;
}

// A coarse grid (24 points) that the coordinate search refines: the simulator forecasts
// thousands of series per step, so a fit is kept to about 45 filter passes.
const ALPHAS = [0.1, 0.3, 0.6];
const BETAS = [0, 0.05];
const GAMMAS = [0.1, 0.3];
const DAMPING = [0.98, 0.9];

function clamp01(x: number): number {
  return x < 0.001 ? 0.001 : x > 0.999 ? 0.999 : x;
}

/** Initial states from the first two seasons: the mean of the first, the slope between the two. */
function initialState(y: ArrayLike<number>, period: number, seasonal: boolean): State {
  if (!seasonal) {
    const trend = y.length > 1 ? y[1]! - y[0]! : 0;
    return { level: y[0]!, trend, season: new Float64Array(1), t: 1 };
  }
  // States as of the end of the first season; filtering starts at index `period`.
  const { level, trend, deviation } = twoBlockStart(y, period);
  return { level, trend, season: deviation, t: period };
}

/**
 * Runs the filter over y from the initial state; returns the sum of squared one-step errors and
 * leaves the final state in `s`.
 */
function filter(y: ArrayLike<number>, period: number, seasonal: boolean, p: HoltWintersParams, s: State, lead = 1): number {
  const { alpha, beta, gamma, phi } = p;
  let level = s.level;
  let trend = s.trend;
  const season = s.season;
  let sse = 0;
  const damps = dampedTrendSums(phi, lead);
  for (let t = s.t; t < y.length; t++) {
    const idx = seasonal ? t % period : 0;
    const st = seasonal ? season[idx]! : 0;
    const base = level + phi * trend;
    const e = y[t]! - (base + st);
    if (lead === 1) sse += e * e;
    else if ((t - s.t) % lead === 0) {
      // Multi-step objective: from this origin, forecast `lead` steps and add their errors.
      for (let h = 1; h <= lead && t + h - 1 < y.length; h++) {
        const sh = seasonal ? season[(t + h - 1) % period]! : 0;
        const eh = y[t + h - 1]! - (level + damps[h - 1]! * trend + sh);
        sse += eh * eh;
      }
    }
    const newLevel = base + alpha * e;
    trend = phi * trend + beta * (newLevel - level - phi * trend);
    if (seasonal) season[idx] = st + gamma * (y[t]! - base - st);
    level = newLevel;
  }
  s.level = level;
  s.trend = trend;
  s.t = y.length;
  return sse;
}

function cloneState(s: State): State {
  return { level: s.level, trend: s.trend, season: Float64Array.from(s.season), t: s.t };
}

function recent(history: readonly number[], period: number, maxSeasons: number): readonly number[] {
  const max = Math.max(2, maxSeasons) * period;
  return history.length > max ? history.slice(history.length - max) : history;
}

/**
 * Fits alpha, beta, gamma (and phi) to one series by least one-step squared error (or error over
 * `fitLead` steps): a coarse grid, then a few rounds of coordinate search with shrinking steps.
 */
export function fitHoltWinters(history: readonly number[], period: number, opts: HoltWintersOptions = {}): HoltWintersFit {
  const y = recent(history, period, opts.maxSeasons ?? 12);
  const seasonal = period > 1 && y.length >= 2 * period + 1;
  const init = y.length >= 2 ? initialState(y, period, seasonal) : null;
  const fixedPhi = opts.phi;
  const fallback: HoltWintersParams = { alpha: opts.alpha ?? 0.3, beta: opts.beta ?? 0.02, gamma: opts.gamma ?? 0.2, phi: fixedPhi ?? 0.95 };
  if (!init || y.length - init.t < 2) return { params: fallback, mse: NaN, seasonal };
  const steps = y.length - init.t;
  const lead = Math.max(1, Math.floor(opts.fitLead ?? 1));
  const cost = (p: HoltWintersParams) => filter(y, period, seasonal, p, cloneState(init), lead);

  const alphas = opts.alpha !== undefined ? [opts.alpha] : ALPHAS;
  const betas = opts.beta !== undefined ? [opts.beta] : BETAS;
  const gammas = !seasonal ? [0] : opts.gamma !== undefined ? [opts.gamma] : GAMMAS;
  const phis = fixedPhi !== undefined ? [fixedPhi] : (opts.dampingChoices ?? DAMPING);
  let best = fallback;
  let bestCost = Infinity;
  for (const phi of phis) {
    for (const alpha of alphas) {
      for (const beta of betas) {
        for (const gamma of gammas) {
          const p = { alpha, beta, gamma, phi };
          const c = cost(p);
          if (c < bestCost) {
            bestCost = c;
            best = p;
          }
        }
      }
    }
  }

  const free: Array<keyof HoltWintersParams> = [];
  if (opts.alpha === undefined) free.push("alpha");
  if (opts.beta === undefined) free.push("beta");
  if (seasonal && opts.gamma === undefined) free.push("gamma");
  if (fixedPhi === undefined && opts.dampingChoices === undefined) free.push("phi");
  const refined = refineCoordinates(
    { best, cost: bestCost },
    free,
    opts.refineRounds ?? 3,
    (key, current, dir, step) => {
      const raw = current + dir * (key === "phi" ? step / 2 : step);
      return key === "beta" ? Math.min(0.999, Math.max(0, raw)) : key === "phi" ? Math.min(1, Math.max(0.8, raw)) : clamp01(raw);
    },
    cost,
  );
  return { params: refined.best, mse: refined.cost / steps, seasonal };
}

/** Forecast `horizon` steps with given parameters (no fitting). */
export function holtWintersForecast(
  history: readonly number[],
  horizon: number,
  period: number,
  params: HoltWintersParams,
  opts: { maxSeasons?: number } = {},
): number[] {
  const y = recent(history, period, opts.maxSeasons ?? 12);
  const seasonal = period > 1 && y.length >= 2 * period + 1;
  if (y.length < 3) return seasonalNaiveForecast(y, horizon, period);
  const s = initialState(y, period, seasonal);
  filter(y, period, seasonal, params, s);
  const out = new Array<number>(horizon);
  const damps = dampedTrendSums(params.phi, horizon);
  for (let h = 1; h <= horizon; h++) {
    const st = seasonal ? s.season[(y.length + h - 1) % period]! : 0;
    const v = s.level + damps[h - 1]! * s.trend + st;
    out[h - 1] = v > 0 && Number.isFinite(v) ? v : 0;
  }
  return out;
}

/**
 * Additive Holt-Winters with parameters fitted per series (see `fitHoltWinters`). Series shorter
 * than two seasons get a damped Holt trend; shorter than three points, seasonal naive.
 */
export function holtWinters(opts: HoltWintersOptions = {}): Forecaster {
  return {
    kind: "holt_winters",
    forecast(input: ForecastInput): number[] {
      checkForecastInput(input);
      if (input.horizon === 0) return [];
      if (input.history.length < 3) return seasonalNaiveForecast(input.history, input.horizon, input.period);
      const fit = fitHoltWinters(input.history, input.period, opts);
      return holtWintersForecast(input.history, input.horizon, input.period, fit.params, opts);
    },
  };
}
