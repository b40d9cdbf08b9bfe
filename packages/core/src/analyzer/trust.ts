import type { ForecastErrorTracker } from "../forecast/tracking.ts";
import type { AnalyzerOutput, AnalyzerShardlet } from "./types.ts";

/**
 * Whether each shardlet's forecasts can be trusted now, for `analyzeLoad`'s `untrusted`: feeds the
 * tracker the history steps it has not seen (a history's last value is step `baseStep - 1`, steps
 * being bucket indices, so every run scores the same buckets the same way; of a new series, enough
 * for its naive scale), forgets retired shardlets (their children start series of their own), and
 * returns the untrusted ones with why. `clean` maps each value before it is kept (e.g. rounding,
 * for a smaller saved state).
 */
export function judgeShardletForecasts(
  tracker: ForecastErrorTracker,
  shardlets: readonly Pick<AnalyzerShardlet, "id" | "history">[],
  baseStep: number,
  clean: (v: number) => number = (v) => v,
): Map<string, string> {
  const live = new Set<string>();
  const untrusted = new Map<string, string>();
  for (const s of shardlets) {
    live.add(s.id);
    const from = baseStep - s.history.length;
    const seen = tracker.lastStep(s.id);
    const first = seen === null ? s.history.length - tracker.options.scaleWindow - 1 : seen + 1 - from;
    for (let i = Math.max(0, first); i < s.history.length; i++) tracker.observe(s.id, from + i, clean(s.history[i]!));
    const why = tracker.describe(s.id);
    if (why !== null) untrusted.set(s.id, why);
  }
  for (const id of tracker.seriesIds()) if (!live.has(id)) tracker.forget(id);
  return untrusted;
}

/**
 * Records a run's forecasts for the next run to score: the model's, also for shardlets planned on
 * their observed rate, so the model keeps being judged. Only the first `steps` of each are kept
 * when given: a later run's forecast of a step replaces this one's, so steps past the next run are
 * never scored.
 */
export function recordShardletForecasts(
  tracker: ForecastErrorTracker,
  baseStep: number,
  out: Pick<AnalyzerOutput, "forecasts" | "modelForecasts">,
  opts: { steps?: number; clean?: (v: number) => number } = {},
): void {
  for (const [id, values] of out.forecasts) {
    const model = out.modelForecasts.get(id) ?? values;
    const kept = opts.steps !== undefined ? model.slice(0, opts.steps) : model;
    tracker.recordForecast(id, baseStep, opts.clean ? kept.map(opts.clean) : kept);
  }
}
