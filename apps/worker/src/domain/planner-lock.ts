import { ShardcastError } from "@shardcast/core";
import type { OpLocks } from "@shardcast/runtime/oplock";

/** The planners whose runs read the whole cluster and replace what the previous run stored. */
export type Planner = "rebalancer" | "analyzer" | "orchestrator";

/** A planner's run lock: the op-lock machinery on a name no shardlet has (as a migration's run lock). */
export function plannerLockId(planner: Planner): string {
  return `planner:${planner}`;
}

export function plannerBusy(planner: Planner): string {
  return `another ${planner} run is in progress`;
}

/**
 * Runs `run` as the only run of `planner` in the cluster, or answers `busy()` when another run (a
 * scheduled one, one an operator asked for, another worker's) holds it. Two runs at once plan from
 * two snapshots: where the load moved in between, each proposes moves off the same host for what
 * one move relieves, and each replaces the other's notes. The run that finds the lock taken is
 * skipped rather than queued: the one under way plans from a snapshot as fresh, and the schedule
 * runs again within its period. A worker without op-locks (no Redis locks configured) runs unlocked.
 */
export async function asOnlyPlannerRun<T>(
  opLocks: OpLocks | undefined,
  planner: Planner,
  signal: AbortSignal | undefined,
  run: (signal: AbortSignal | undefined) => Promise<T>,
  busy: () => T,
): Promise<T> {
  if (!opLocks) return run(signal);
  let entered = false;
  try {
    return await opLocks.withOpLock(plannerLockId(planner), (lock) => {
      entered = true;
      // A lost lock (Redis gone, a long pause) stops the run between its steps like a timeout does.
      return run(signal ? AbortSignal.any([lock.signal, signal]) : lock.signal);
    });
  } catch (err) {
    if (!entered && err instanceof ShardcastError && err.code === "conflict") return busy();
    throw err;
  }
}
