import type { PlannerShardlet } from "@shardcast/core";

/** Pure parts of the manager's scan and the drain sweep. */

export interface UnfinishedJob {
  id: string;
  kind: "split" | "merge";
  sourceIds: readonly string[];
  childIds: readonly string[];
  updatedAt: Date;
}

/** Shardlets the planner must leave alone: op-locked, or sources or children of unfinished jobs. */
export function busyShardlets(jobs: readonly UnfinishedJob[], locked: Iterable<string>): Set<string> {
  const busy = new Set(locked);
  for (const j of jobs) {
    for (const id of j.sourceIds) busy.add(id);
    for (const id of j.childIds) busy.add(id);
  }
  return busy;
}

/**
 * Unfinished jobs nobody is running: idle since `staleBeforeMs` and none of their sources
 * op-locked (a running job holds them and touches its row at every phase).
 */
export function resumableJobs<J extends UnfinishedJob>(jobs: readonly J[], locked: ReadonlySet<string>, staleBeforeMs: number): J[] {
  return jobs.filter((j) => j.updatedAt.getTime() < staleBeforeMs && !j.sourceIds.some((id) => locked.has(id)));
}

/** A control-database shardlet row (BigInt columns) as the planner reads it. */
export function toPlannerShardlet(r: {
  id: string;
  streamId: string;
  shardId: string;
  lo: bigint | number;
  hi: bigint | number;
  hostId: string;
  state: PlannerShardlet["state"];
  sizeBytes: bigint | number;
  capacityBytes: bigint | number;
  writeRate: number;
  parentId: string | null;
}): PlannerShardlet {
  return {
    id: r.id,
    streamId: r.streamId,
    shardId: r.shardId,
    lo: Number(r.lo),
    hi: Number(r.hi),
    hostId: r.hostId,
    state: r.state,
    sizeBytes: Number(r.sizeBytes),
    capacityBytes: Number(r.capacityBytes),
    writeRate: r.writeRate,
    parentId: r.parentId,
  };
}

/** Which live shardlets a drain sweep may write into: active, not locked, not part of a job. */
export function drainableShardlets<S extends { id: string; state: string }>(routes: readonly S[], busy: ReadonlySet<string>): S[] {
  return routes.filter((r) => r.state === "active" && !busy.has(r.id));
}
