import type { SimConfig } from "./config.ts";
import type { InitialLayout } from "./engine/layout.ts";
import { simulate } from "./engine/simulation.ts";
import { reactivePolicy } from "./policies/reactive.ts";
import { REACTIVE_TUNED } from "./tuned.ts";
import type { SimWorkload } from "./workload/types.ts";

/**
 * Reactive scaling at equal cost. A policy that pays for more hosts can have fewer violation
 * minutes without foreseeing anything, so "fewer violations than reactive_tuned" alone does not
 * show that prediction pays. Here the reactive policy runs at several capacity targets (more
 * headroom, more host-hours), which traces its cost/violation frontier on the same workload, seed
 * and start layout; the predictive policy is then compared with what reactive scaling has at the
 * predictive policy's own host-hours.
 */

/**
 * Capacity targets of the frontier's extra runs, below reactive_tuned's 0.8 (which is the frontier's
 * cheapest point and is not run again). Each keeps reactive_tuned's ratio of scale-in to target and
 * its rebalancer tolerance, so the only change along the frontier is headroom.
 */
export const FRONTIER_TARGETS: readonly number[] = [0.65, 0.5, 0.35];

export interface FrontierPoint {
  targetUtilization: number;
  hostHours: number;
  violationMinutes: number;
}

/** The frontier's extra runs (reactive_tuned's own point is the caller's). */
export function reactiveFrontier(workload: SimWorkload, config: SimConfig, layout?: InitialLayout): FrontierPoint[] {
  const scaleInShare = REACTIVE_TUNED.scaleInUtilization / REACTIVE_TUNED.targetUtilization;
  return FRONTIER_TARGETS.map((target) => {
    const policy = reactivePolicy({
      name: `reactive_at_${target}`,
      capacity: { targetUtilization: target, scaleInUtilization: target * scaleInShare },
      tolerance: REACTIVE_TUNED.tolerance,
    });
    const m = simulate({ workload, config, policy, ...(layout ? { layout } : {}) }).metrics;
    return { targetUtilization: target, hostHours: m.hostHours, violationMinutes: m.violationMinutes };
  });
}

/**
 * Reactive scaling's violation minutes at `hostHours`: linear between the two frontier points
 * around it, on the lower envelope (a point that pays more and has more violations than a cheaper
 * one is dominated and skipped). Outside the frontier the nearest end is taken: below the cheapest
 * point that favours reactive (it is credited with the hosts it paid for there, more than the
 * compared policy's), above the dearest it favours the compared policy.
 */
export function violationsAtCost(points: readonly FrontierPoint[], hostHours: number): number {
  const sorted = [...points].filter((p) => Number.isFinite(p.hostHours) && Number.isFinite(p.violationMinutes)).sort((a, b) => a.hostHours - b.hostHours);
  const envelope: FrontierPoint[] = [];
  for (const p of sorted) if (envelope.length === 0 || p.violationMinutes < envelope[envelope.length - 1]!.violationMinutes) envelope.push(p);
  if (envelope.length === 0) return 0;
  const first = envelope[0]!;
  const last = envelope[envelope.length - 1]!;
  if (hostHours <= first.hostHours) return first.violationMinutes;
  if (hostHours >= last.hostHours) return last.violationMinutes;
  for (let i = 1; i < envelope.length; i++) {
    const a = envelope[i - 1]!;
    const b = envelope[i]!;
    if (hostHours <= b.hostHours) {
      const f = (hostHours - a.hostHours) / Math.max(1e-9, b.hostHours - a.hostHours);
      return a.violationMinutes + f * (b.violationMinutes - a.violationMinutes);
    }
  }
  return last.violationMinutes;
}
