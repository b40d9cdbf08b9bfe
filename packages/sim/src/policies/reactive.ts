import type { CapacitySettings } from "@shardcast/core";
import { emptyDecision, type Policy } from "../engine/types.ts";
import { elastic, type ElasticMode } from "./capacity.ts";
import { REACTIVE_TUNED } from "../tuned.ts";
import { lifecycleInto, rebalanceInto } from "./common.ts";
import { HostOutlook } from "./outlook.ts";

export interface ReactiveOptions {
  name?: string;
  /** How the cluster is sized: on observed load (default), fixed at the workload's peak, or not at all. */
  elastic?: Extract<ElasticMode, "reactive" | "peak"> | "none";
  /** Capacity thresholds (target and scale-in utilisation) instead of the run's. */
  capacity?: Partial<CapacitySettings>;
  /** Rebalancer tolerance instead of the run's. */
  tolerance?: number;
  /**
   * The rebalancer's per-host trend look-ahead (the run's `hostOutlook`, as the predictive policy
   * has it): a trend on observed load, no forecast, so reacting may have it too. Off by default.
   */
  outlook?: boolean;
}

/**
 * What most systems ship: thresholds on current load. The lifecycle manager splits shardlets past
 * the split thresholds and merges cold siblings; the rebalancer moves shardlets off hosts above
 * their share by the tolerance, with hysteresis, a cool-down and a minimum benefit per byte; the
 * capacity planner, on the observed load only, asks for a host once the load passes the target
 * utilisation and drains one once it is below the scale-in utilisation.
 */
export function reactivePolicy(opts: ReactiveOptions = {}): Policy {
  const sizing = opts.elastic === "none" ? null : elastic({ mode: opts.elastic ?? "reactive", ...(opts.capacity ? { settings: opts.capacity } : {}) });
  const overrides = opts.tolerance !== undefined ? { tolerance: opts.tolerance, hysteresis: Math.min(opts.tolerance / 2, 0.025) } : undefined;
  let outlook: HostOutlook | null = null;
  return {
    name: opts.name ?? "reactive",
    decide(view) {
      const d = emptyDecision();
      const splitting = new Set<string>();
      lifecycleInto(d, view, splitting);
      const look = view.config.policy.hostOutlook;
      if (opts.outlook && look.leadMinutes > 0) outlook ??= new HostOutlook(view.config.cluster.tickMinutes, look.windowMinutes, look.leadMinutes);
      rebalanceInto(d, view, splitting, new Map(), undefined, overrides, outlook?.next(view));
      sizing?.into(d, view);
      return d;
    },
  };
}

/**
 * reactive_tuned's knobs (REACTIVE_TUNED) at another capacity target, its scale-in kept at the same
 * share of the target: the reactive frontier moves along headroom only.
 */
export function reactiveTunedAt(targetUtilization: number, name = "reactive_tuned"): Policy {
  const scaleInShare = REACTIVE_TUNED.scaleInUtilization / REACTIVE_TUNED.targetUtilization;
  return reactivePolicy({
    name,
    capacity: { targetUtilization, scaleInUtilization: targetUtilization === REACTIVE_TUNED.targetUtilization ? REACTIVE_TUNED.scaleInUtilization : targetUtilization * scaleInShare },
    tolerance: REACTIVE_TUNED.tolerance,
    outlook: REACTIVE_TUNED.outlook,
  });
}
