import { SUITE_QUICK_SEEDS, SUITE_SEEDS, SUITE_WORKLOADS } from "../suite.ts";
import { TUNING_SEEDS } from "../tune.ts";
import { scoredStartDay, tuningSamples, type ContestSample } from "./windows.ts";

/** The samples the suite scores (full and quick), so tuning can avoid every one of them. */
export function scoredSamples(quick: boolean): ContestSample[] {
  const seeds = quick ? SUITE_QUICK_SEEDS : SUITE_SEEDS;
  return SUITE_WORKLOADS.flatMap((w) => {
    const days = quick ? w.quickDays : w.days;
    return seeds.map((seed, i) => ({ workload: w.name, seed, startDay: scoredStartDay(w.name, i, days), days }));
  });
}

/**
 * The contest's tuning samples: the first tuning seed of every generator and the windows of the
 * traces whose measured days no full or quick run scores, at the quick runs' length (the tuning budget).
 */
export function contestTuningSamples(): ContestSample[] {
  const quickDays = new Map(SUITE_WORKLOADS.map((w) => [w.name, w.quickDays]));
  return tuningSamples([...scoredSamples(false), ...scoredSamples(true)], TUNING_SEEDS.slice(0, 1), (w) => quickDays.get(w) ?? 17);
}
