import { ShardcastError, sleep } from "@shardcast/core";
import type { OpLocks } from "@shardcast/runtime/oplock";
import { checkAborted } from "./abort.ts";

/** The planners whose runs read the whole cluster and replace what the previous run stored. */
export type Planner = "rebalancer" | "analyzer" | "orchestrator" | "prealloc";

/** A planner's run lock: the op-lock machinery on a name no shardlet has (as a migration's run lock). */
export function plannerLockId(planner: Planner): string {
  return `planner:${planner}`;
}

export function plannerBusy(planner: Planner): string {
  return `another ${planner} run is in progress`;
}

export interface PlannerRunOptions {
  signal?: AbortSignal | undefined;
  /**
   * How long a run waits for the one under way to end (ms); 0 (scheduled runs) skips at once. A run
   * an operator asked for waits: it was asked for after the one under way took its snapshot.
   */
  waitMs?: number;
  /** Called once when the run starts waiting (progress for the console, a log line). */
  onWait?: () => void | Promise<void>;
}

/** How often a waiting run tries the lock again: runs take seconds, the wait is bounded by `waitMs`. */
const RETRY_MS = 250;

/**
 * Runs `run` as the only run of `planner` in the cluster. Two runs at once (a scheduled one and one
 * an operator asked for, or two workers) would plan from two snapshots: where the load moved in
 * between, each proposes moves off the same host for what one move relieves, and each replaces the
 * other's notes. A scheduled run that finds the lock taken answers `busy()` (the schedule comes
 * round again); one with `waitMs` waits for it that long first. A worker without op-locks (no Redis
 * locks configured) runs unlocked.
 */
export async function asOnlyPlannerRun<T>(
  opLocks: OpLocks | undefined,
  planner: Planner,
  opts: PlannerRunOptions,
  run: (signal: AbortSignal | undefined) => Promise<T>,
  busy: () => T,
): Promise<T> {
  const { signal } = opts;
  if (!opLocks) return run(signal);
  const until = Date.now() + Math.max(0, opts.waitMs ?? 0);
  let waiting = false;
  for (;;) {
    let entered = false;
    try {
      return await opLocks.withOpLock(plannerLockId(planner), (lock) => {
        entered = true;
        // A lost lock (Redis gone, a long pause) stops the run between its steps like a timeout does.
        return run(signal ? AbortSignal.any([lock.signal, signal]) : lock.signal);
      });
    } catch (err) {
      if (entered || !(err instanceof ShardcastError && err.code === "conflict")) throw err;
      if (Date.now() + RETRY_MS > until) return busy();
      if (!waiting) {
        waiting = true;
        await opts.onWait?.();
      }
      // An abort ends the wait with the signal's reason, as it ends a run between its steps.
      await sleep(RETRY_MS, signal).catch(() => checkAborted(signal));
    }
  }
}
