import { emptyDecision, type Policy } from "../engine/types.ts";
import { lifecycleInto, rebalanceInto } from "./common.ts";

/**
 * What most systems ship: thresholds on current load. The lifecycle manager splits shardlets past
 * the split thresholds and merges cold siblings; the rebalancer moves shardlets off hosts above
 * their share by the tolerance, with hysteresis, a cool-down and a minimum benefit per byte.
 */
export function reactivePolicy(): Policy {
  return {
    name: "reactive",
    decide(view) {
      const d = emptyDecision();
      const splitting = new Set<string>();
      lifecycleInto(d, view, splitting);
      rebalanceInto(d, view, splitting, new Map());
      return d;
    },
  };
}
