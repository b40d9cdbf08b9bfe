/** Pure parts of the manager's scan and the drain sweep. */

export interface UnfinishedJob {
  id: string;
  kind: "split" | "merge" | "handoff";
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

/**
 * Which live shardlets a drain sweep may write into: active, not locked, not part of a job, and not
 * being migrated (the mover drains those itself when it switches or cancels: a row drained into
 * the source behind the copy's back would miss the destination).
 */
export function drainableShardlets<S extends { id: string; state: string; shadowHostId?: string | null }>(routes: readonly S[], busy: ReadonlySet<string>): S[] {
  return routes.filter((r) => r.state === "active" && !busy.has(r.id) && !r.shadowHostId);
}
