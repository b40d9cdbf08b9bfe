import type { SimConfig } from "../config.ts";
import type { Policy } from "../engine/types.ts";
import { elastic } from "../policies/capacity.ts";
import { predictivePolicy, predictiveWith } from "../policies/predictive.ts";
import { reactivePolicy } from "../policies/reactive.ts";
import { CONTEST_KNOBS, PREDICTIVE_TUNED, REACTIVE_TUNED } from "../tuned.ts";

/**
 * The policies of the fair contest: the forecasting one and the two that do not forecast
 * (reactive scaling and static provisioning). Each is run along its own headroom knob, the
 * capacity target, which traces its cost/violation frontier.
 */
export type ContestPolicy = "reactive" | "predictive" | "static";
export const CONTEST_POLICIES: readonly ContestPolicy[] = ["reactive", "predictive", "static"];

/**
 * The knobs tuning chooses for every contest policy from the same candidates: the rebalancer's
 * tolerance and its per-host trend look-ahead (a trend on observed load, not a forecast, so the
 * policies that do not forecast may have it too).
 */
export interface ContestKnobs {
  tolerance: number;
  outlook: boolean;
}

/** The candidates every policy's tuning tries: the same search, so the same number of evaluations. */
export const KNOB_CANDIDATES: readonly ContestKnobs[] = [
  { tolerance: 0.05, outlook: false },
  { tolerance: 0.05, outlook: true },
  { tolerance: 0.1, outlook: false },
  { tolerance: 0.1, outlook: true },
];

/** Each policy's target in the suite's own runs (static_peak's is the product default). */
export const BASE_TARGET: Readonly<Record<ContestPolicy, number>> = { reactive: REACTIVE_TUNED.targetUtilization, predictive: PREDICTIVE_TUNED.targetUtilization, static: 0.75 };

/**
 * The policy at a capacity target with the given knobs, and the config to run it with (the
 * predictive policy reads its tolerance from the config). Scale-in (and predictive's band) keep
 * their tuned share of the target, so the frontier moves along headroom only.
 */
export function contestPolicy(kind: ContestPolicy, target: number, config: SimConfig, knobs: ContestKnobs = CONTEST_KNOBS[kind]): { policy: Policy; config: SimConfig } {
  const name = `${kind}_at_${target}`;
  if (kind === "static") return { policy: reactivePolicy({ name, elastic: "peak", capacity: { targetUtilization: target }, ...knobs }), config };
  if (kind === "reactive") {
    const share = REACTIVE_TUNED.scaleInUtilization / REACTIVE_TUNED.targetUtilization;
    const scaleIn = target === REACTIVE_TUNED.targetUtilization ? REACTIVE_TUNED.scaleInUtilization : target * share;
    return { policy: reactivePolicy({ name, capacity: { targetUtilization: target, scaleInUtilization: scaleIn }, ...knobs }), config };
  }
  const base = PREDICTIVE_TUNED;
  const capacity =
    target === base.targetUtilization
      ? { ...base }
      : { targetUtilization: target, scaleInUtilization: (target * base.scaleInUtilization) / base.targetUtilization, bandUtilization: Math.min(1, (target * base.bandUtilization) / base.targetUtilization) };
  const policy = predictiveWith(config.policy.forecaster, capacity, "forecast", knobs.outlook);
  return { policy, config: { ...config, policy: { ...config.policy, predictiveTolerance: knobs.tolerance } } };
}

/**
 * The oracle (the true future, see `oraclePolicy`) at a capacity target, scale-in at the run's
 * share of the target: not a contestant, the frontier of what foresight buys through the same
 * planners, beside the dynamic program's bound (engine/fill-bound.ts).
 */
export function oracleAt(target: number, config: SimConfig): Policy {
  const { targetUtilization, scaleInUtilization } = config.capacity;
  return predictivePolicy({
    name: `oracle_at_${target}`,
    forecaster: "oracle",
    elastic: elastic({ mode: "oracle", settings: { targetUtilization: target, scaleInUtilization: (target * scaleInUtilization) / targetUtilization } }),
  });
}
