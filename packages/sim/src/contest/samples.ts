import { SUITE_QUICK_SEEDS, SUITE_SEEDS, SUITE_WORKLOADS } from "../suite.ts";
import { TUNING_SEEDS } from "../tune.ts";
import { tuningSamples, type ContestSample } from "./tune.ts";

/** The samples the suite scores (full and quick), so tuning can avoid every one of them. */
export function scoredSamples(quick: boolean): ContestSample[] {
  const seeds = quick ? SUITE_QUICK_SEEDS : SUITE_SEEDS;
  return SUITE_WORKLOADS.flatMap((w) => seeds.map((seed) => ({ workload: w.name, seed, startDay: 0, days: quick ? w.quickDays : w.days })));
}

/**
 * The contest's tuning samples: the first tuning seed of every generator and the windows of the
 * traces that no full or quick run scores, at the quick runs' length (the tuning budget).
 */
export function contestTuningSamples(): ContestSample[] {
  const quickDays = new Map(SUITE_WORKLOADS.map((w) => [w.name, w.quickDays]));
  const scored = [...scoredSamples(false), ...scoredSamples(true)];
  const windows = tuningSamples(
    scored.map((s) => ({ ...s, days: Math.max(s.days, quickDays.get(s.workload) ?? s.days) })),
    TUNING_SEEDS.slice(0, 1),
  );
  return windows.map((s) => ({ ...s, days: Math.min(s.days, quickDays.get(s.workload) ?? s.days) }));
}
