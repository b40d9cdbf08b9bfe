import { ShardcastError } from "@shardcast/core";
import type { SimConfig } from "../config.ts";
import type { SimWorkload } from "../workload/types.ts";
import { LoadModel } from "./load-model.ts";
import { runClock } from "./state.ts";

/**
 * The fewest serving hosts that can carry `load` events/s with no host above `capacity`: hosts
 * filled to exactly their capacity with the load spread perfectly evenly (never below `minHosts`).
 * A tick with fewer serving hosts has some host over capacity, whatever the placement: that is
 * what makes the host-hours below a floor no policy can go under without violation minutes.
 */
export function hostsLowerBound(load: number, capacity: number, minHosts: number): number {
  // The engine calls a host over capacity only past a relative 1e-9 (see RunMetrics.segment).
  return Math.max(minHosts, Math.ceil(load / capacity - 1e-9));
}

export interface HostHoursLowerBound {
  /** Host-hours of `hostsLowerBound` over the measured ticks. */
  hostHours: number;
  /** The bound's hosts per tick (every tick of the run, warm-up included). */
  hostsPerTick: Uint16Array;
  /** First measured tick (as `PolicyRun.measuredFromTick`). */
  measuredFromTick: number;
}

/**
 * The offline optimum of cost, as a floor: the host-hours of a cluster that at every tick serves
 * exactly `hostsLowerBound` hosts of the workload's load at that tick (the engine's own load: the
 * rate at the tick's midpoint), paid only while they serve. It ignores everything that makes a
 * real cluster dearer (provisioning, copying a host's share before it serves or leaves, the copy's
 * load, shardlets too coarse to balance perfectly, headroom for what the policy cannot see), so no
 * policy reaches it; `host_hours_ratio_vs_lower_bound` says how far each policy is from it, and the
 * bound's own ratio to static peak says how much of a cost target any policy could take.
 * `capacity` is one host's write capacity (default: the cluster's); the suite's hosts all have it.
 */
export function hostHoursLowerBound(workload: SimWorkload, config: SimConfig, capacity = config.cluster.hostCapacityEventsPerSec): HostHoursLowerBound {
  if (!(capacity > 0)) throw new ShardcastError("bad_request", `a host's capacity must be positive to bound the hosts it needs, got ${capacity}`);
  const model = new LoadModel(workload);
  const { tickMs, ticks, warmupMs, measuredFromTick } = runClock(workload, config);
  const keys = workload.keyHashes.length;
  const hostsPerTick = new Uint16Array(ticks);
  let hostMs = 0;
  for (let tick = 0; tick < ticks; tick++) {
    const t0 = tick * tickMs;
    const hosts = hostsLowerBound(model.rateAt(0, keys, t0 + tickMs / 2), capacity, config.capacity.minHosts);
    hostsPerTick[tick] = hosts;
    if (t0 >= warmupMs) hostMs += hosts * tickMs;
  }
  return { hostHours: hostMs / 3_600_000, hostsPerTick, measuredFromTick };
}
