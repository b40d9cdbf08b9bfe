import { ShardcastError } from "@shardcast/core";
import type { ClusterConfig } from "../cluster.ts";
import type { SimConfig } from "../config.ts";
import type { SimWorkload } from "../workload/types.ts";
import { hostsLowerBound } from "./lower-bound.ts";
import { LoadModel } from "./load-model.ts";
import { runClock } from "./state.ts";

/**
 * The fewest host-hours with no cluster-level violation, given the true load and the time a new
 * host takes from its request until it can carry load. Unlike the per-tick floor
 * (lower-bound.ts), a host that carries load at tick t was paid from its request `leadTicks`
 * earlier, so a short dip is only worth shedding a host when the dip outlasts that lead: the
 * schedule is a dynamic program over the number of hosts carrying load.
 */
export interface FillBoundInput {
  /** Hosts the load needs per tick (already at least the minimum). */
  need: ArrayLike<number>;
  /** Ticks a host is paid before the first tick whose load it can carry (its request tick counts). */
  leadTicks: number;
  /** Hosts carrying load before tick 0 (they cost nothing before it). */
  startHosts: number;
  /** First tick whose host-time is counted. */
  measuredFromTick: number;
  tickHours: number;
}

export interface FillBound {
  hostHours: number;
  /** Hosts carrying load per tick on the cheapest schedule. */
  carrying: Uint16Array;
  /** Hosts paid per tick on that schedule: those carrying and those on their way. */
  paid: Uint16Array;
}

/**
 * The cheapest schedule. Each host added at tick t costs the measured ticks of its lead
 * [t - lead, t - 1] on top of the ticks it carries; removing a host is free and instant, which
 * only makes the bound lower (a real drain pays until the host is empty). A rise in the first
 * `leadTicks` ticks would need a request before the run: it is allowed and costs only the part of
 * its lead inside the run, again erring low.
 */
export function fewestHostHours(input: FillBoundInput): FillBound {
  const { need, startHosts, measuredFromTick } = input;
  const lead = Math.max(0, Math.floor(input.leadTicks));
  const ticks = need.length;
  let top = startHosts;
  for (let t = 0; t < ticks; t++) top = Math.max(top, need[t]!);
  const levels = top + 1;
  const inf = Number.POSITIVE_INFINITY;
  let prev = new Float64Array(levels).fill(inf);
  prev[startHosts] = 0;
  let cur = new Float64Array(levels);
  // The best previous count for each count at each tick, to rebuild the schedule.
  const from = new Uint16Array(ticks * levels);
  for (let t = 0; t < ticks; t++) {
    const weight = t >= measuredFromTick ? 1 : 0;
    const penalty = Math.max(0, t - Math.max(t - lead, measuredFromTick));
    // Fewer hosts before: pay the lead of each one added; as many or more: shed them for free.
    let bestBelow = inf;
    let bestBelowAt = 0;
    for (let s = 0; s < levels; s++) {
      cur[s] = inf;
      if (s > 0 && prev[s - 1]! - penalty * (s - 1) < bestBelow) {
        bestBelow = prev[s - 1]! - penalty * (s - 1);
        bestBelowAt = s - 1;
      }
      if (s >= need[t]! && bestBelow < inf) {
        cur[s] = bestBelow + penalty * s;
        from[t * levels + s] = bestBelowAt;
      }
    }
    let bestAbove = inf;
    let bestAboveAt = levels - 1;
    for (let s = levels - 1; s >= 0; s--) {
      if (prev[s]! < bestAbove) {
        bestAbove = prev[s]!;
        bestAboveAt = s;
      }
      if (s >= need[t]! && bestAbove <= cur[s]!) {
        cur[s] = bestAbove;
        from[t * levels + s] = bestAboveAt;
      }
    }
    for (let s = 0; s < levels; s++) if (cur[s]! < inf) cur[s] = cur[s]! + weight * s;
    [prev, cur] = [cur, prev];
  }
  let end = 0;
  for (let s = 1; s < levels; s++) if (prev[s]! < prev[end]!) end = s;
  const carrying = new Uint16Array(ticks);
  for (let t = ticks - 1, s = end; t >= 0; t--) {
    carrying[t] = s;
    s = from[t * levels + s]!;
  }
  const paid = new Uint16Array(carrying);
  for (let t = 0; t < ticks; t++) {
    const before = t === 0 ? startHosts : carrying[t - 1]!;
    for (let k = Math.max(0, t - lead); k < t; k++) paid[k] = paid[k]! + Math.max(0, carrying[t]! - before);
  }
  let hostTicks = 0;
  for (let t = measuredFromTick; t < ticks; t++) hostTicks += paid[t]!;
  return { hostHours: ticks === 0 ? 0 : hostTicks * input.tickHours, carrying, paid };
}

/**
 * Ticks from a host's request until the first tick whose load it can carry, as the engine runs a
 * request: it serves from the first tick starting after its provisioning (never the tick it was
 * asked for in), and a tick's rate holds from the tick's start, so the host carries a tick's load
 * only once its share arrived in an earlier tick. Under hand-offs its share arrives one hand-off
 * after it serves: its lanes start dozens of hand-offs a tick, more than a host's share needs
 * (shardlets split at a fraction of a host), and one shardlet could carry the whole share. Under
 * copies each move lands only after its setup and its copy; the bound takes the setup alone (a
 * shardlet with almost no history), since which shardlets a policy could move is its own choice,
 * so under copies the bound is loose.
 */
export function leadTicksOf(cl: Pick<ClusterConfig, "moveModel" | "handoffSec" | "migrationSetupSec" | "provisionSec">, tickMs: number): number {
  const serveTicks = Math.max(1, Math.ceil((cl.provisionSec * 1000) / tickMs - 1e-9));
  const firstMoveSec = cl.moveModel === "handoff" ? cl.handoffSec : cl.migrationSetupSec;
  const fillTicks = Math.max(1, Math.ceil((firstMoveSec * 1000) / tickMs - 1e-9));
  return serveTicks + fillTicks;
}

/**
 * The workload's bound under the run's move model: the hosts the engine's own load needs per
 * tick (filled to capacity, perfectly balanced, at least the minimum), the cluster's starting
 * hosts, and the lead of `leadTicksOf`. A lower bound only for operation with no violation: a
 * policy that lets the load pass its hosts' capacity may pay less.
 */
export function fillBoundHostHours(workload: SimWorkload, config: SimConfig): FillBound & { leadTicks: number; measuredFromTick: number } {
  const capacity = config.cluster.hostCapacityEventsPerSec;
  if (!(capacity > 0)) throw new ShardcastError("bad_request", `a host's capacity must be positive to bound the hosts it needs, got ${capacity}`);
  const model = new LoadModel(workload);
  const { tickMs, ticks, measuredFromTick } = runClock(workload, config);
  const keys = workload.keyHashes.length;
  const need = new Uint16Array(ticks);
  for (let t = 0; t < ticks; t++) need[t] = hostsLowerBound(model.rateAt(0, keys, t * tickMs + tickMs / 2), capacity, config.capacity.minHosts);
  const leadTicks = leadTicksOf(config.cluster, tickMs);
  const bound = fewestHostHours({ need, leadTicks, startHosts: config.cluster.hosts, measuredFromTick, tickHours: tickMs / 3_600_000 });
  return { ...bound, leadTicks, measuredFromTick };
}
