import type { SimConfig } from "./config.ts";
import type { InitialLayout } from "./engine/layout.ts";
import { simulate } from "./engine/simulation.ts";
import type { Policy } from "./engine/types.ts";
import { reactiveTunedAt } from "./policies/reactive.ts";
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

/** Runs `policyAt(target)` (with its own config when it gives one) at each target on the same workload, seed and start layout: one point per target. */
export function frontierOf(
  workload: SimWorkload,
  config: SimConfig,
  targets: readonly number[],
  policyAt: (target: number) => { policy: Policy; config?: SimConfig },
  layout?: InitialLayout,
): FrontierPoint[] {
  return targets.map((target) => {
    const run = policyAt(target);
    const m = simulate({ workload, config: run.config ?? config, policy: run.policy, ...(layout ? { layout } : {}) }).metrics;
    return { targetUtilization: target, hostHours: m.hostHours, violationMinutes: m.violationMinutes };
  });
}

/** The frontier's extra runs (reactive_tuned's own point is the caller's), at `targets` (default FRONTIER_TARGETS). */
export function reactiveFrontier(workload: SimWorkload, config: SimConfig, layout?: InitialLayout, targets: readonly number[] = FRONTIER_TARGETS): FrontierPoint[] {
  return frontierOf(workload, config, targets, (target) => ({ policy: reactiveTunedAt(target, `reactive_at_${target}`) }), layout);
}

/**
 * Points sorted by host-hours with the dominated ones left out (a point that pays more and has as
 * many violations as a cheaper one): what a policy can buy at each cost, if it picks its knob well.
 */
export function lowerEnvelope(points: readonly FrontierPoint[]): FrontierPoint[] {
  const sorted = [...points].filter((p) => Number.isFinite(p.hostHours) && Number.isFinite(p.violationMinutes)).sort((a, b) => a.hostHours - b.hostHours || a.violationMinutes - b.violationMinutes);
  const envelope: FrontierPoint[] = [];
  for (const p of sorted) if (envelope.length === 0 || p.violationMinutes < envelope[envelope.length - 1]!.violationMinutes) envelope.push(p);
  return envelope;
}

/**
 * The fewest host-hours at which the envelope has at most `minutes` violation minutes: linear
 * between the two points around it; a policy whose cheapest point already keeps it is read at that
 * point (it might do with less, which errs against it); Infinity when no point keeps it.
 */
export function costAtViolations(points: readonly FrontierPoint[], minutes: number): number {
  const envelope = lowerEnvelope(points);
  for (let i = 0; i < envelope.length; i++) {
    const b = envelope[i]!;
    if (b.violationMinutes > minutes) continue;
    const a = envelope[i - 1];
    if (!a) return b.hostHours;
    const f = (a.violationMinutes - minutes) / Math.max(1e-9, a.violationMinutes - b.violationMinutes);
    return a.hostHours + f * (b.hostHours - a.hostHours);
  }
  return Number.POSITIVE_INFINITY;
}

/**
 * Reactive scaling's violation minutes at `hostHours`: linear between the two frontier points
 * around it, on the lower envelope (a point that pays more and has more violations than a cheaper
 * one is dominated and skipped). Outside the frontier the nearest end is taken: below the cheapest
 * point that favours reactive (it is credited with the hosts it paid for there, more than the
 * compared policy's), above the dearest it favours the compared policy.
 */
export function violationsAtCost(points: readonly FrontierPoint[], hostHours: number): number {
  const envelope = lowerEnvelope(points);
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
