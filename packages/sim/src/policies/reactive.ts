import type { CapacitySettings } from "@shardcast/core";
import { emptyDecision, type Policy } from "../engine/types.ts";
import { elastic, type ElasticMode } from "./capacity.ts";
import { lifecycleInto, rebalanceInto } from "./common.ts";

export interface ReactiveOptions {
  name?: string;
  /** How the cluster is sized: on observed load (default), fixed at the workload's peak, or not at all. */
  elastic?: Extract<ElasticMode, "reactive" | "peak"> | "none";
  /** Capacity thresholds (target and scale-in utilisation) instead of the run's. */
  capacity?: Partial<CapacitySettings>;
  /** Rebalancer tolerance instead of the run's. */
  tolerance?: number;
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
  return {
    name: opts.name ?? "reactive",
    decide(view) {
      const d = emptyDecision();
      const splitting = new Set<string>();
      lifecycleInto(d, view, splitting);
      rebalanceInto(d, view, splitting, new Map(), undefined, overrides);
      sizing?.into(d, view);
      return d;
    },
  };
}
