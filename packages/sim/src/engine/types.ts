import type { CapacityHost, PlacementHost, PlannerShardlet, PlacementShardlet, ShardletState } from "@shardcast/core";
import type { SimConfig } from "../config.ts";
import type { SimWorkload } from "../workload/types.ts";

/** Keys [ka, kb) whose events written from `from` on (virtual ms) a shardlet or a sealed history holds. */
export interface HeldPiece {
  ka: number;
  kb: number;
  from: number;
}

/** A shardlet of the simulated cluster: what the planners see, plus where its keys are. */
export interface SimShardlet extends PlannerShardlet, PlacementShardlet {
  state: ShardletState;
  /** Index of its host. */
  host: number;
  /** Its keys: [ka, kb) in the workload's key order. */
  ka: number;
  kb: number;
  /** True events/s in the current tick (policies see `load` / `writeRate`: the previous tick's). */
  rate: number;
  /**
   * After a hand-off, until its keys' older events have expired: since when it holds them (they
   * stay sealed where it was). Absent: it holds its keys' whole retention window.
   */
  held?: HeldPiece[];
}

export interface SplitRequest {
  shardletId: string;
  reason: string;
  /** Which planner asked: "lifecycle" (current size and rate) or "analyzer" (forecast). */
  source: "lifecycle" | "analyzer";
  /**
   * Where to cut, when the caller knows better than the current load median (the median of the
   * predicted load: an announced window that carries no load yet).
   */
  at?: number;
}

export interface MergeRequest {
  leftId: string;
  rightId: string;
  reason: string;
}

export interface MoveRequest {
  shardletId: string;
  destHostId: string;
  reason: string;
  source: "rebalancer" | "analyzer" | "drain";
  urgencySec?: number;
}

/** What a capacity plan looked like at a tick: recorded by the engine for charts and the what-if. */
export interface PlanMark {
  /** Load the plan was made for at this tick (the forecast, or the observed load when untrusted), events/s. */
  forecast: number;
  /** Hosts the plan wants serving at this tick. */
  hostsNeeded: number;
  /** Why the plan follows observed load only, when it does. */
  untrusted?: string | null;
}

export interface Decision {
  splits: SplitRequest[];
  merges: MergeRequest[];
  moves: MoveRequest[];
  /** The analyzer recommended adding a host (counted in `scaleSignals`). */
  scaleOut: boolean;
  /** Hosts to ask for now: each is provisioning (and paid for) for `provisionSec`, then active and empty. */
  addHosts: number;
  /** Active hosts to drain: they get nothing new, their shardlets move off, and they are removed once empty. */
  drainHosts: string[];
  /** The capacity plan behind this tick's decision, if the policy has one. */
  plan?: PlanMark;
}

export function emptyDecision(): Decision {
  return { splits: [], merges: [], moves: [], scaleOut: false, addHosts: 0, drainHosts: [] };
}

/** What a policy may look at when it decides, at the start of a tick. */
export interface PolicyView {
  /** Virtual time, ms from the workload's start. */
  now: number;
  tick: number;
  /** Bucket the tick lies in (partly observed). */
  bucket: number;
  config: SimConfig;
  workload: SimWorkload;
  /** Hosts that serve: active and draining (a provisioning host is in `capacityHosts` only). */
  hosts: readonly PlacementHost[];
  /** Every paid host (provisioning, active, draining) as the capacity planner sees it. */
  capacityHosts(): CapacityHost[];
  /** Summed events/s of every key per complete bucket before `bucket`, up to `steps`, oldest first. */
  clusterHistory(steps: number): number[];
  /** True summed events/s of every key for `steps` buckets from `bucket` on (the oracle's knowledge). */
  clusterFuture(steps: number): number[];
  /** Routed shardlets (busy ones included); loads are the previous tick's, as accounting reports them. */
  shardlets: readonly SimShardlet[];
  /** A routed shardlet by id. */
  shardlet(id: string): SimShardlet | undefined;
  /** Shardlets a split, merge or migration holds. */
  busy: ReadonlySet<string>;
  /** Destination host of each migration in flight. */
  inFlightMoves: ReadonlyMap<string, string>;
  /** Shardlet id -> virtual time of its last move. */
  recentMoves: ReadonlyMap<string, number>;
  /** Shardlets whose split was refused in this bucket (all load on one key hash); asked again next bucket. */
  unsplittable: ReadonlySet<string>;
  /** Mean events/s per complete bucket before `bucket`, up to `historySteps`, oldest first. Same array for a shardlet within a bucket. */
  history(s: SimShardlet): readonly number[];
  /** True mean events/s of the shardlet's keys for `steps` buckets from `bucket` on (the oracle's forecast). */
  future(s: SimShardlet, steps: number): number[];
  /** The hash at the median of the shardlet's true load over `steps` buckets from `bucket` on (the oracle's cut). */
  futureMedian(s: SimShardlet, steps: number): number | undefined;
  /** Announced load (client hints known by now) for `steps` buckets from `bucket` on, or undefined. */
  hints(s: SimShardlet, steps: number): number[] | undefined;
  /** The part of the shardlet's range that announced load falls in within `steps` buckets, or undefined. */
  hintRange(s: SimShardlet, steps: number): { lo: number; hi: number } | undefined;
}

export interface Policy {
  readonly name: string;
  decide(view: PolicyView): Decision;
}
