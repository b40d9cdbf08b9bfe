import { pushSkill, skillOf, type ForecastSkill, type SkillPair } from "./skill.ts";

/**
 * Forecast error tracking: whether a series' forecasts can be trusted right now.
 *
 * A forecaster that was right all month is wrong the morning after a holiday or a level shift, and
 * a predictive policy that keeps acting on it then does harm. The tracker follows each series'
 * forecasts against the actuals as they arrive and flags the series `untrusted` within a few
 * steps of such a break, so that callers fall back to the reactive path (with the reason as a
 * note) until the forecasts are close again.
 *
 * Usage, per series id and integer step (e.g. the bucket start divided by the bucket length):
 *
 *   const tracker = new ForecastErrorTracker();            // or new ForecastErrorTracker(opts, savedState)
 *   tracker.recordForecast("shardlet-7", nextStep, values); // values[i] forecasts step nextStep + i
 *   const status = tracker.observe("shardlet-7", step, actual);
 *   if (!status.trusted) useReactivePath(status.reason);
 *   save(tracker.toJSON());                                 // plain JSON: database, Redis or memory
 *
 * The error of a step is |actual - forecast| divided by the series' naive one-step scale (the
 * mean |y[t] - y[t-1]| over the last `scaleWindow` actuals), so thresholds read the same for
 * every series. The forecast an actual is scored against is the latest one recorded for its step.
 * A series becomes untrusted when the mean scaled error of its last `window` scored steps exceeds
 * `threshold`, or when `consecutive` scored steps in a row each exceed `band`; it is trusted again
 * once its last `recoverSteps` scored steps all lie within `band` and their mean is at most
 * `recoverBelow`. Steps with no forecast recorded are not scored (they still feed the scale).
 */

export interface ErrorTrackerOptions {
  /** Scored steps the rolling error averages over (default 6). */
  window: number;
  /** Rolling mean scaled error above which a series is untrusted (default 2.5). */
  threshold: number;
  /** Scaled error above which one step counts as outside the band (default 3). */
  band: number;
  /** Steps in a row outside the band that make a series untrusted (default 3). */
  consecutive: number;
  /** Scored steps in a row, all within the band, before an untrusted series is trusted again (default 6). */
  recoverSteps: number;
  /** The mean scaled error of those steps must be at most this (default 1.5). */
  recoverBelow: number;
  /** Actuals the naive one-step scale is taken over (default 48). */
  scaleWindow: number;
  /** Scored steps before a series can be judged at all (default 3). */
  minScored: number;
  /** Scored steps whose actual-to-forecast ratios `upperFactor` reads (default 336: two weeks of hours). */
  ratioWindow: number;
  /** Scored steps `skill` compares the forecast with the last actual held over (default 24; 0: not kept). */
  skillWindow: number;
}

export const DEFAULT_ERROR_TRACKER_OPTIONS: ErrorTrackerOptions = {
  window: 6,
  threshold: 2.5,
  band: 3,
  consecutive: 3,
  recoverSteps: 6,
  recoverBelow: 1.5,
  scaleWindow: 48,
  minScored: 3,
  ratioWindow: 336,
  // A day of hourly steps, so every hour of a daily cycle weighs once; fixed before any run was scored.
  skillWindow: 24,
};

/**
 * Options of a tracker of many small series (every shardlet): no actual-to-forecast ratios, since
 * only the cluster's plan buys an upper band from past misses, so a series stays a few hundred bytes.
 */
export const SHARDLET_ERROR_TRACKER_OPTIONS: Partial<ErrorTrackerOptions> = { ratioWindow: 0, skillWindow: 0 };

export interface SeriesTrackingState {
  /** Forecast values by step, the latest recorded forecast for each step not yet observed. */
  pending: Record<string, number>;
  /** The last actuals (at most scaleWindow + 1), for the naive scale. */
  actuals: number[];
  /** Step of the last actual observed (null: none yet). */
  lastStep: number | null;
  /** Scaled errors of the last scored steps (at most max(window, recoverSteps)), oldest first. */
  errors: number[];
  /** Scored steps in a row outside the band. */
  outside: number;
  trusted: boolean;
  reason: string | null;
  /** Step at which the series was last flagged untrusted (null: never, or trusted since). */
  untrustedSince: number | null;
  /** Actual over forecast of the last scored steps (at most ratioWindow), oldest first; absent in states saved before it existed. */
  ratios?: number[];
  /** The forecast's and the last actual's absolute errors on the last scored steps (at most skillWindow); absent in states saved before it existed. */
  skill?: SkillPair[];
}

/** Everything the tracker knows: plain JSON, so it can be saved between runs and restored. */
export interface ErrorTrackerState {
  version: 1;
  series: Record<string, SeriesTrackingState>;
}

export interface SeriesTrust {
  series: string;
  trusted: boolean;
  /** Why the series is untrusted, in words (null when trusted). */
  reason: string | null;
  /** Mean scaled error of the last `window` scored steps (null before any step was scored). */
  rollingError: number | null;
  /** Scaled error of the step just observed (null: it had no forecast). */
  lastError: number | null;
  untrustedSince: number | null;
}

function emptySeries(): SeriesTrackingState {
  return { pending: {}, actuals: [], lastStep: null, errors: [], outside: 0, trusted: true, reason: null, untrustedSince: null };
}

function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return values.length > 0 ? s / values.length : 0;
}

/** Naive one-step scale of recent actuals; a flat stretch falls back to a tenth of its level (or 1). */
function naiveScale(actuals: readonly number[]): number {
  let sum = 0;
  for (let i = 1; i < actuals.length; i++) sum += Math.abs(actuals[i]! - actuals[i - 1]!);
  if (actuals.length > 1 && sum > 0) return sum / (actuals.length - 1);
  const level = mean(actuals.map(Math.abs));
  return level > 0 ? level / 10 : 1;
}

const fmt = (x: number) => (x >= 10 ? x.toFixed(0) : x.toFixed(1));

export class ForecastErrorTracker {
  readonly options: ErrorTrackerOptions;
  private readonly state: ErrorTrackerState;

  constructor(options: Partial<ErrorTrackerOptions> = {}, state?: ErrorTrackerState) {
    this.options = { ...DEFAULT_ERROR_TRACKER_OPTIONS, ...options };
    // A copy, so the caller's saved object is never changed behind its back.
    this.state = state && state.version === 1 ? (JSON.parse(JSON.stringify(state)) as ErrorTrackerState) : { version: 1, series: {} };
  }

  private series(id: string): SeriesTrackingState {
    let s = this.state.series[id];
    if (!s) {
      s = emptySeries();
      this.state.series[id] = s;
    }
    return s;
  }

  /** Records a forecast made for steps firstStep, firstStep + 1, ...; a later forecast of a step replaces an earlier one. */
  recordForecast(id: string, firstStep: number, values: readonly number[]): void {
    const s = this.series(id);
    values.forEach((v, i) => {
      const step = firstStep + i;
      if (Number.isFinite(v) && (s.lastStep === null || step > s.lastStep)) s.pending[String(step)] = v;
    });
  }

  /** Feeds the actual of `step` (steps must increase; a repeated or older step is ignored) and returns the series' trust. */
  observe(id: string, step: number, actual: number): SeriesTrust {
    const o = this.options;
    const s = this.series(id);
    if (!Number.isFinite(actual) || (s.lastStep !== null && step <= s.lastStep)) return this.trustOf(id, s, null);
    const key = String(step);
    const predicted = s.pending[key];
    // Forecasts of steps now in the past will never be scored.
    for (const k in s.pending) if (Number(k) <= step) delete s.pending[k];

    let lastError: number | null = null;
    // The reactive rule's forecast of this step is the actual just before it, so only a step that follows one is compared.
    const held = s.lastStep === step - 1 ? s.actuals[s.actuals.length - 1] : undefined;
    if (predicted !== undefined && held !== undefined && o.skillWindow > 0) pushSkill((s.skill ??= []), Math.abs(actual - predicted), Math.abs(actual - held), o.skillWindow);
    if (predicted !== undefined && s.actuals.length >= 2) {
      // The scale comes from the actuals before this one, so a jump cannot excuse itself.
      const scale = naiveScale(s.actuals);
      lastError = Math.abs(actual - predicted) / scale;
      s.errors.push(lastError);
      const keep = Math.max(o.window, o.recoverSteps);
      while (s.errors.length > keep) s.errors.shift();
      s.outside = lastError > o.band ? s.outside + 1 : 0;
      if (predicted > 0 && o.ratioWindow > 0) {
        const ratios = (s.ratios ??= []);
        ratios.push(actual / predicted);
        if (ratios.length > o.ratioWindow) ratios.splice(0, ratios.length - o.ratioWindow);
      }
      this.judge(s, step);
    }
    s.actuals.push(actual);
    // shift, not splice: this runs for every step of every series, and splice allocates.
    while (s.actuals.length > o.scaleWindow + 1) s.actuals.shift();
    s.lastStep = step;
    return this.trustOf(id, s, lastError);
  }

  private judge(s: SeriesTrackingState, step: number): void {
    const o = this.options;
    if (s.errors.length < Math.min(o.minScored, o.window)) return;
    const rolling = mean(s.errors.slice(-o.window));
    if (s.trusted) {
      if (s.outside >= o.consecutive) {
        s.trusted = false;
        s.reason = `the last ${s.outside} actuals each missed the forecast by more than ${fmt(o.band)}x the naive one-step error`;
        s.untrustedSince = step;
      } else if (rolling > o.threshold) {
        s.trusted = false;
        s.reason = `forecast error over the last ${Math.min(o.window, s.errors.length)} steps is ${fmt(rolling)}x the naive one-step error (limit ${fmt(o.threshold)}x)`;
        s.untrustedSince = step;
      }
      return;
    }
    const recent = s.errors.slice(-o.recoverSteps);
    if (recent.length >= o.recoverSteps && recent.every((e) => e <= o.band) && mean(recent) <= o.recoverBelow && rolling <= o.threshold) {
      s.trusted = true;
      s.reason = null;
      s.untrustedSince = null;
    }
  }

  private trustOf(id: string, s: SeriesTrackingState, lastError: number | null): SeriesTrust {
    const w = s.errors.slice(-this.options.window);
    return { series: id, trusted: s.trusted, reason: s.reason, rollingError: w.length > 0 ? mean(w) : null, lastError, untrustedSince: s.untrustedSince };
  }

  /** The trust of a series (a series never seen is trusted). */
  status(id: string): SeriesTrust {
    const s = this.state.series[id];
    return s ? this.trustOf(id, s, null) : { series: id, trusted: true, reason: null, rollingError: null, lastError: null, untrustedSince: null };
  }

  /**
   * How far above its forecasts a series has run: the `quantile` of actual / forecast over its
   * last scored steps (at least 1, at most `cap`; 1 with fewer than `minSamples`). Multiplying a
   * forecast by it gives an upper band that covers what the forecasts missed that share of the
   * time: wide for bursty series, close to the forecast for regular ones, so headroom is bought
   * where the forecast is weak instead of everywhere.
   */
  upperFactor(id: string, quantile: number, opts: { cap?: number; minSamples?: number } = {}): number {
    const ratios = this.state.series[id]?.ratios ?? [];
    if (!(quantile > 0) || ratios.length < (opts.minSamples ?? 24)) return 1;
    const sorted = [...ratios].sort((a, b) => a - b);
    const at = Math.min(sorted.length - 1, Math.max(0, Math.ceil(quantile * sorted.length) - 1));
    return Math.min(opts.cap ?? 3, Math.max(1, sorted[at]!));
  }

  /** The forecast's recent error against the reactive rule's (the last actual held), over the last `skillWindow` scored steps. */
  skill(id: string): ForecastSkill {
    return skillOf(this.state.series[id]?.skill);
  }

  /**
   * Why a series is untrusted, as one sentence that stays true while it is: the break that flagged
   * it, where its error stands now and what trusts it again (null when trusted). The reason alone
   * names only the break, which reads as current long after the error has come down.
   */
  describe(id: string): string | null {
    if (this.state.series[id]?.trusted ?? true) return null;
    const t = this.status(id);
    if (t.trusted || t.reason === null) return null;
    const o = this.options;
    const now = t.rollingError !== null ? `; now ${fmt(t.rollingError)}x over the last ${Math.min(o.window, this.state.series[id]?.errors.length ?? 0)} steps` : "";
    return `${t.reason}${now}; trusted again after ${o.recoverSteps} steps in a row within ${fmt(o.band)}x averaging at most ${fmt(o.recoverBelow)}x`;
  }

  /** Series currently untrusted, with their reasons. */
  untrusted(): SeriesTrust[] {
    return Object.keys(this.state.series)
      .filter((id) => !this.state.series[id]!.trusted)
      .map((id) => this.status(id));
  }

  /** Every series the tracker holds. */
  seriesIds(): string[] {
    return Object.keys(this.state.series);
  }

  /** The last step observed of a series (null: none yet), so callers feed only what is new. */
  lastStep(id: string): number | null {
    return this.state.series[id]?.lastStep ?? null;
  }

  /** Drops a series (e.g. a retired shardlet). */
  forget(id: string): void {
    delete this.state.series[id];
  }

  /** The state as plain JSON, to restore with `new ForecastErrorTracker(options, state)`. */
  toJSON(): ErrorTrackerState {
    return JSON.parse(JSON.stringify(this.state)) as ErrorTrackerState;
  }
}
