import { costAtViolations, lowerEnvelope, violationsAtCost, type FrontierPoint } from "../frontier.ts";
import type { ContestPolicy } from "./policies.ts";

/** Each contest policy's own frontier on one run: its points along its headroom knob. */
export type ContestFrontiers = Record<ContestPolicy, FrontierPoint[]>;

/** The multiples of reactive_tuned's host-hours at which the policies are compared. */
export const COST_MULTIPLIERS: readonly number[] = [1, 1.05, 1.1, 1.2];

/** The share of measured minutes over capacity the SLO allows (0.1%). */
export const SLO_VIOLATION_SHARE = 0.001;

export interface Read {
  minutes: number;
  /** The cost was below the policy's cheapest point: it is credited with the hosts it paid there. */
  below: boolean;
}

/** A policy's violation minutes at `hostHours`, read off its own frontier (frontier.ts's interpolation). */
export function readAt(points: readonly FrontierPoint[], hostHours: number): Read {
  const first = lowerEnvelope(points)[0];
  return { minutes: violationsAtCost(points, hostHours), below: first !== undefined && hostHours < first.hostHours - 1e-9 };
}

export interface BaselineRead extends Read {
  policy: Exclude<ContestPolicy, "predictive">;
}

/**
 * The best policy that does not forecast at `hostHours`: reactive scaling's frontier or static
 * provisioning's, whichever has fewer violation minutes there (a tie goes to reactive). A policy
 * whose cheapest point costs more than `hostHours` cannot be had at that cost, so it is left out
 * while the other can (crediting a fixed cluster with the hosts of its cheapest size would let the
 * baseline spend more than the cost compared).
 */
export function baselineAt(frontiers: Pick<ContestFrontiers, "reactive" | "static">, hostHours: number): BaselineRead {
  const reactive: BaselineRead = { ...readAt(frontiers.reactive, hostHours), policy: "reactive" };
  const fixed: BaselineRead = { ...readAt(frontiers.static, hostHours), policy: "static" };
  if (fixed.below !== reactive.below) return fixed.below ? reactive : fixed;
  return fixed.minutes < reactive.minutes ? fixed : reactive;
}

/**
 * The host-hours each side needs to keep violation minutes at most the SLO's share of the measured
 * minutes: predictive on its frontier, the baseline the cheaper of reactive and static (Infinity
 * where no point keeps it).
 */
export function sloHostHours(frontiers: ContestFrontiers, measuredMinutes: number, share = SLO_VIOLATION_SHARE): { predictive: number; baseline: number } {
  const allowed = share * measuredMinutes;
  return {
    predictive: costAtViolations(frontiers.predictive, allowed),
    baseline: Math.min(costAtViolations(frontiers.reactive, allowed), costAtViolations(frontiers.static, allowed)),
  };
}
