import type { Forecaster } from "../forecast/types.ts";
import type { AnalyzerShardlet } from "./types.ts";

/**
 * Series arithmetic of the analyzer. Time is counted in steps from `now`: a history value or a
 * forecast value is a rate averaged over its bucket, so it stands at the bucket's midpoint (the
 * last observed bucket at -0.5, forecast step i at i + 0.5). Stored sizes stand at bucket ends.
 */

/** Exactly `horizon` finite, non-negative values (a model that returns fewer is padded with its last value). */
export function cleanForecast(values: readonly number[], horizon: number): number[] {
  const out = new Array<number>(horizon);
  let last = 0;
  for (let i = 0; i < horizon; i++) {
    const v = values[i];
    if (v !== undefined && Number.isFinite(v)) last = Math.max(0, v);
    out[i] = last;
  }
  return out;
}

export interface ShardletForecast {
  values: number[];
  /** Set when the model failed and the last observed rate was carried forward instead. */
  fallback?: string;
}

/**
 * The shardlet's forecast over the horizon: the model's, raised to the client hints where they
 * promise more (max of hint and forecast: a hint announces load, it does not cancel a trend).
 */
export function forecastShardlet(
  s: Pick<AnalyzerShardlet, "history" | "load" | "hints">,
  forecaster: Forecaster,
  opts: { now: number; bucketMs: number; horizonSteps: number; period: number },
): ShardletForecast {
  const h = opts.horizonSteps;
  let values: number[];
  let fallback: string | undefined;
  if (s.history.length === 0) {
    values = new Array<number>(h).fill(Math.max(0, Number.isFinite(s.load) ? s.load : 0));
  } else {
    try {
      values = cleanForecast(
        forecaster.forecast({
          history: s.history,
          horizon: h,
          period: opts.period,
          startMs: opts.now - s.history.length * opts.bucketMs,
          stepMs: opts.bucketMs,
        }),
        h,
      );
    } catch (err) {
      // One series a model cannot fit must not stop the analysis of the others.
      const last = s.history[s.history.length - 1] ?? 0;
      values = new Array<number>(h).fill(Math.max(0, Number.isFinite(last) ? last : 0));
      fallback = err instanceof Error ? err.message : String(err);
    }
  }
  if (s.hints) {
    for (let i = 0; i < h; i++) {
      const hint = s.hints[i];
      if (hint !== undefined && Number.isFinite(hint) && hint > values[i]!) values[i] = hint;
    }
  }
  return fallback === undefined ? { values } : { values, fallback };
}

/**
 * Steps from now until a piecewise-linear series first reaches `limit`. The series starts with
 * `start` at step `startT`; `values[i]` stands at step `at(i)`. 0 when it starts at or above the
 * limit, null when it never reaches it.
 */
function crossing(startT: number, start: number, values: readonly number[], at: (i: number) => number, limit: number): number | null {
  if (start >= limit) return 0;
  let prevT = startT;
  let prevV = start;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    const t = at(i);
    if (v >= limit) return Math.max(0, prevT + ((limit - prevV) / (v - prevV)) * (t - prevT));
    prevT = t;
    prevV = v;
  }
  return null;
}

/** Seconds until a forecast rate first reaches `limit` (interpolated between bucket midpoints). */
export function secondsUntilRate(lastObserved: number | undefined, forecast: readonly number[], limit: number, bucketSec: number): number | null {
  if (!(limit > 0) || forecast.length === 0) return null;
  const start = lastObserved ?? forecast[0]!;
  const steps = crossing(-0.5, start, forecast, (i) => i + 0.5, limit);
  return steps === null ? null : steps * bucketSec;
}

/** Stored bytes at the end of each forecast step: `size` grows by the forecast writes. */
export function growth(size: number, forecast: readonly number[], bytesPerEvent: number, bucketSec: number): number[] {
  const out = new Array<number>(forecast.length);
  let acc = size;
  const perStep = bytesPerEvent > 0 ? bytesPerEvent * bucketSec : 0;
  for (let i = 0; i < forecast.length; i++) {
    acc += forecast[i]! * perStep;
    out[i] = acc;
  }
  return out;
}

/** Seconds until a stored size (at bucket ends, `size` now) first reaches `limit`. */
export function secondsUntilSize(size: number, sizes: readonly number[], limit: number, bucketSec: number): number | null {
  if (!(limit > 0)) return null;
  const steps = crossing(0, size, sizes, (i) => i + 1, limit);
  return steps === null ? null : steps * bucketSec;
}

/** Element-wise sum into `acc` (grown to the longer length). */
export function addInto(acc: number[], values: readonly number[]): void {
  for (let i = 0; i < values.length; i++) acc[i] = (acc[i] ?? 0) + values[i]!;
}

export function peak(values: readonly number[]): number {
  let m = 0;
  for (const v of values) if (v > m) m = v;
  return m;
}

/**
 * The reactive path's view of a series, planned on while its forecasts are not trusted: its last
 * observed rate (the current rate without history) held over the horizon. Client hints still
 * count (they announce load the history cannot show), raised into it step by step.
 */
export function observedFlat(s: Pick<AnalyzerShardlet, "history" | "load" | "hints">, horizon: number): number[] {
  const last = s.history[s.history.length - 1] ?? s.load;
  const flat = new Array<number>(horizon).fill(Math.max(0, Number.isFinite(last) ? last : 0));
  if (s.hints) for (let i = 0; i < horizon; i++) flat[i] = Math.max(flat[i]!, s.hints[i] ?? 0);
  return flat;
}
