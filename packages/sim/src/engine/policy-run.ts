import type { PolicyMetrics } from "./metrics.ts";

export interface ActionRecord {
  /** Virtual time the action started, ms. */
  t: number;
  kind: "split" | "merge" | "move";
  shardletId: string;
  hostId: string;
  destHostId?: string;
  bytes?: number;
  source: string;
  /** Key range of the shardlet, for tests and reports. */
  streamId: string;
  lo: number;
  hi: number;
}

/** A change of the cluster's membership. */
export interface HostEvent {
  /** Virtual time, ms. */
  t: number;
  kind: "requested" | "ready" | "draining" | "removed" | "drain_cancelled";
  hostId: string;
}

export interface PolicyRun {
  policy: string;
  metrics: PolicyMetrics;
  /** Every host slot the run used (the start layout's hosts first, then added ones in order). */
  hostIds: string[];
  /** Hosts serving (active or draining) and hosts paid for (provisioning too), per tick. */
  hostsServing: Uint16Array;
  hostsPaid: Uint16Array;
  /** True cluster write rate per tick (events/s, at the tick's middle). */
  clusterLoad: Float32Array;
  /** The policy's capacity plan per tick: the load it planned for (NaN without a plan) and the hosts it wanted. */
  planForecast: Float32Array;
  planHostsNeeded: Uint16Array;
  /** Hosts asked for, ready, drained and removed (warm-up included). */
  hostEvents: HostEvent[];
  ticks: number;
  tickMs: number;
  /** First measured tick (the warm-up ends there). */
  measuredFromTick: number;
  /** Utilisation per (tick, host slot): `util[tick * hostIds.length + h]`. */
  util: Float32Array;
  /** Ms of each tick with a host above capacity (warm-up included). */
  violationMs: Float32Array;
  /** Every split, merge and migration started (warm-up included), up to `MAX_ACTIONS`. */
  actions: ActionRecord[];
  /** Wall-clock time of the run (not part of any result that must repeat). */
  wallMs: number;
}

export const MAX_ACTIONS = 50_000;
