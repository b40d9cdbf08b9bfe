import { ShardcastError } from "../errors.ts";
import { lastDayAbnormal, type AbnormalDay } from "./abnormal-day.ts";
import { doubleSeasonalHoltWinters, type DoubleSeasonalOptions } from "./double-seasonal.ts";
import { ensembleForecaster, memoizedForecaster } from "./ensemble.ts";
import { holtWinters, type HoltWintersOptions } from "./holt-winters.ts";
import { maseScale } from "./metrics.ts";
import { checkForecastInput, seasonalNaive } from "./seasonal-naive.ts";
import { weeklyMedian } from "./weekly-median.ts";
import { weeklyNaive } from "./weekly-naive.ts";
import type { ForecastInput, ForecastModelKind, Forecaster } from "./types.ts";

/**
 * Best model per series: every candidate forecasts the last `validationSteps` of the series'
 * history from rolling origins inside it (each seeing only what precedes its origin), and the
 * candidate with the lowest mean MASE forecasts the future. Nothing after the end of the history
 * is ever read, so the choice is the one a caller could have made at that moment.
 */
export interface SelectionOptions {
  /** Steps at the end of the history the candidates are scored on. */
  validationSteps: number;
  /**
   * Steps between rolling origins (default: the validation window split into `maxOrigins`). Each
   * origin forecasts min(horizon, validationSteps) steps, cut at the end of the history.
   */
  stride?: number;
  /** Most origins scored per series (default 3): the selection's cost is candidates x origins forecasts. */
  maxOrigins?: number;
  /**
   * Shortest history an origin may have (default two seasons and a step, what Holt-Winters needs to
   * be seasonal); origins with less are skipped, and with none left the first candidate serves.
   */
  minHistory?: number;
  /**
   * After an abnormal last day (see `lastDayAbnormal`), choose only among the candidates that
   * forecast from the same weekday of earlier weeks (the weekly median, else weekly naive), which
   * that day does not move. Default on. The validation cannot see the day's effect: no origin lies
   * after it, and a smoothing model that scored best on the days before carries the day's level
   * into the next ones.
   */
  abnormalDayGuard?: boolean;
}

export interface CandidateScore {
  kind: ForecastModelKind;
  /** Mean MASE over the validation origins (null: no origin had enough history). */
  mase: number | null;
}

export interface ForecastChoice {
  values: number[];
  /** The candidate that forecast `values`. */
  kind: ForecastModelKind;
  /** Every candidate's validation score, in the order the candidates were given. */
  scores: CandidateScore[];
  /** Set when the last day was abnormal and the choice was kept to the weekly candidates. */
  abnormal?: AbnormalDay;
}

/** What an abnormal last day leaves to choose from: the weekly median where it is a candidate, else weekly naive. */
const AFTER_ABNORMAL_DAY: readonly ForecastModelKind[] = ["weekly_median", "weekly_naive"];

export interface SelectingForecaster extends Forecaster {
  readonly kind: "selection";
  readonly candidates: readonly Forecaster[];
  /** The forecast and which candidate made it, with every candidate's validation score. */
  forecastWithChoice(input: ForecastInput): ForecastChoice;
}

/** Where the validation forecasts of a series start and how far they reach. */
export interface ValidationOrigin {
  origin: number;
  steps: number;
}

/** The rolling origins a series of `historyLength` is scored at, oldest first. */
export function validationOrigins(historyLength: number, horizon: number, period: number, opts: SelectionOptions): ValidationOrigin[] {
  const window = Math.min(Math.floor(opts.validationSteps), historyLength);
  if (!(window >= 1)) return [];
  const lead = Math.max(1, Math.min(horizon, window));
  const maxOrigins = Math.max(1, Math.floor(opts.maxOrigins ?? 3));
  const stride = Math.max(1, Math.floor(opts.stride ?? Math.ceil(window / maxOrigins)));
  const minHistory = opts.minHistory ?? 2 * period + 1;
  const out: ValidationOrigin[] = [];
  for (let origin = historyLength - window; origin < historyLength && out.length < maxOrigins; origin += stride) {
    if (origin < Math.max(1, minHistory)) continue;
    out.push({ origin, steps: Math.min(lead, historyLength - origin) });
  }
  return out;
}

// The validation inputs of a history are built once and kept with it, so that a batch model can
// forecast them ahead of time and be looked up by the same objects (see the worker's `precomputed`).
const inputCache = new WeakMap<readonly number[], { key: string; inputs: ForecastInput[] }>();

/**
 * The forecast requests the selection scores a series with: its history cut at every validation
 * origin. The same `input.history` array with the same options returns the same objects.
 */
export function validationInputs(input: ForecastInput, opts: SelectionOptions): ForecastInput[] {
  const key = `${input.history.length}:${input.horizon}:${input.period}:${opts.validationSteps}:${opts.stride ?? ""}:${opts.maxOrigins ?? ""}:${opts.minHistory ?? ""}`;
  const hit = inputCache.get(input.history);
  if (hit && hit.key === key) return hit.inputs;
  const inputs = validationOrigins(input.history.length, input.horizon, input.period, opts).map(({ origin, steps }) => ({
    history: input.history.slice(0, origin),
    horizon: steps,
    period: input.period,
    ...(input.startMs !== undefined ? { startMs: input.startMs } : {}),
    ...(input.stepMs !== undefined ? { stepMs: input.stepMs } : {}),
    ...(input.covariates ? { covariates: input.covariates.slice(0, origin + steps) } : {}),
  }));
  inputCache.set(input.history, { key, inputs });
  return inputs;
}

/** Mean MASE of `candidate` over the validation origins of `input` (null when there are none). */
export function validationMase(candidate: Forecaster, input: ForecastInput, opts: SelectionOptions): number | null {
  const inputs = validationInputs(input, opts);
  if (inputs.length === 0) return null;
  let sum = 0;
  for (const v of inputs) {
    const origin = v.history.length;
    const predicted = candidate.forecast(v);
    let abs = 0;
    for (let h = 0; h < v.horizon; h++) abs += Math.abs(input.history[origin + h]! - (predicted[h] ?? 0));
    sum += abs / v.horizon / maseScale(v.history, input.period);
  }
  return sum / inputs.length;
}

/**
 * A forecaster that, per series, scores every candidate on the end of the history and forecasts
 * with the lowest mean MASE; ties go to the earlier candidate, so list the simpler ones first. A
 * candidate that throws or scores NaN is out for that series.
 */
export function selectingForecaster(candidates: readonly Forecaster[], opts: SelectionOptions): SelectingForecaster {
  if (candidates.length === 0) throw new ShardcastError("bad_request", "selection needs at least one candidate model");
  if (!Number.isInteger(opts.validationSteps) || opts.validationSteps < 1) {
    throw new ShardcastError("bad_request", `selection validationSteps must be a positive integer, got ${opts.validationSteps}`);
  }
  const list = [...candidates];
  const forecastWithChoice = (input: ForecastInput): ForecastChoice => {
    checkForecastInput(input);
    const scores: CandidateScore[] = list.map((c) => {
      let mase: number | null;
      try {
        mase = validationMase(c, input, opts);
      } catch {
        // A candidate that cannot forecast this history (e.g. a model for another period) loses.
        mase = Infinity;
      }
      return { kind: c.kind, mase: mase !== null && Number.isNaN(mase) ? Infinity : mase };
    });
    const abnormal = opts.abnormalDayGuard === false ? null : lastDayAbnormal(input.history, input.period);
    const kept = abnormal ? AFTER_ABNORMAL_DAY.map((k) => list.findIndex((c) => c.kind === k)).find((i) => i >= 0) : undefined;
    let best = kept ?? 0;
    if (kept === undefined) {
      for (let i = 1; i < list.length; i++) {
        const m = scores[i]!.mase;
        if (m !== null && m < (scores[best]!.mase ?? Infinity)) best = i;
      }
    }
    const chosen = list[best]!;
    return { values: chosen.forecast(input), kind: chosen.kind, scores, ...(abnormal && kept !== undefined ? { abnormal } : {}) };
  };
  return {
    kind: "selection",
    candidates: list,
    forecastWithChoice,
    forecast: (input) => forecastWithChoice(input).values,
  };
}

/**
 * The models the product selects among per series: Holt-Winters first (it serves series too
 * short to score, as it did before selection), seasonal and weekly naive, the weekly median,
 * double-seasonal
 * Holt-Winters, and the mean of weekly naive and the two smoothing models. Extra candidates (the
 * LSTM where one serves) go last. Each smoothing model is fitted once per request.
 */
export function standardCandidates(opts: { holtWinters?: HoltWintersOptions; doubleSeasonal?: DoubleSeasonalOptions; extra?: readonly Forecaster[] } = {}): Forecaster[] {
  const hw = memoizedForecaster(holtWinters(opts.holtWinters ?? {}));
  const ds = memoizedForecaster(doubleSeasonalHoltWinters(opts.doubleSeasonal ?? {}));
  return [hw, seasonalNaive, weeklyNaive, weeklyMedian, ds, ensembleForecaster([weeklyNaive, hw, ds]), ...(opts.extra ?? [])];
}
