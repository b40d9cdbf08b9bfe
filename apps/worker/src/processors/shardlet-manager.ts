import { isRoutedState, planLifecycle, type LifecycleAction } from "@shardcast/core";
import { getLifecycleSettings, listOpenPreallocations, listShardlets, listUnfinishedLifecycleJobs, migratingShardletIds } from "@shardcast/db";
import { enqueue, type JobQueue } from "@shardcast/jobs";
import type { WorkerDeps } from "../deps.ts";
import { busyShardlets, resumableJobs } from "../lifecycle/scan.ts";
import { checkAborted } from "../domain/abort.ts";

export interface ManagerResult {
  /** Splits and merges decided in this scan (enqueued when a queue was given). */
  actions: LifecycleAction[];
  skipped: Array<{ shardletId: string; reason: string }>;
  /** Unfinished jobs nobody was running, sent back to the queue. */
  resumed: string[];
  enabled: boolean;
}

const DEFAULT_STALE_JOB_MS = 15_000;
const DEFAULT_MAX_ACTIONS = 64;

/**
 * `shardlet.manager`: one scan. Resumes lifecycle jobs a dead worker left behind, then compares
 * every live shardlet's fullness and write rate with the lifecycle settings (read each time, so a
 * change applies without a restart) and enqueues the splits and merges the planner chooses.
 * Enqueues are deduplicated per shardlet, so overlapping scans do not stack copies.
 */
export async function runShardletManager(
  deps: WorkerDeps,
  opts: { streamId?: string; queue?: JobQueue; signal?: AbortSignal } = {},
): Promise<ManagerResult> {
  const { db } = deps;
  const settings = await getLifecycleSettings(db);
  const [jobs, lockedList, migrating, preallocated] = await Promise.all([
    listUnfinishedLifecycleJobs(db, opts.streamId ? { streamId: opts.streamId } : {}),
    deps.opLocks ? deps.opLocks.lockedShardlets() : Promise.resolve([] as string[]),
    migratingShardletIds(db),
    // Parts an open pre-allocation prepared are cold until their surge comes: merging them back
    // now would undo the preparation (the pre-allocator merges them itself if no surge comes).
    listOpenPreallocations(db, opts.streamId).then((open) => open.flatMap((p) => p.details.childIds ?? [])),
  ]);
  const locked = new Set(lockedList);
  checkAborted(opts.signal);

  const stale = resumableJobs(jobs, locked, deps.clock() - (deps.lifecycle?.staleJobMs ?? DEFAULT_STALE_JOB_MS));
  const resumed: string[] = [];
  if (opts.queue) {
    for (const job of stale) {
      // A hand-off belongs to its migration, which the migration scheduler resumes.
      if (job.kind === "handoff") continue;
      const dedup = { deduplication: { id: `lifecycle-${job.id}` } };
      if (job.kind === "split") {
        await enqueue(opts.queue, "shardlet.split", { shardletId: job.sourceIds[0]!, reason: job.reason, jobId: job.id }, dedup);
      } else {
        await enqueue(opts.queue, "shardlet.merge", { leftId: job.sourceIds[0]!, rightId: job.sourceIds[1]!, reason: job.reason, jobId: job.id }, dedup);
      }
      resumed.push(job.id);
    }
    if (resumed.length > 0) deps.log.info("resuming stalled lifecycle jobs", { jobs: resumed });
  }
  if (!settings.enabled) return { actions: [], skipped: [], resumed, enabled: false };

  // Pending children are not routed yet; the planner sees what producers write to.
  const live = (await listShardlets(db, opts.streamId ? { streamId: opts.streamId } : {})).filter((s) => isRoutedState(s.state));
  checkAborted(opts.signal);
  // Shardlets being migrated are left alone as well (their range is being copied to another host).
  const plan = planLifecycle(live, settings, { busy: busyShardlets(jobs, [...locked, ...migrating]), keepApart: new Set(preallocated) });
  const actions = plan.actions.slice(0, deps.lifecycle?.maxActionsPerScan ?? DEFAULT_MAX_ACTIONS);
  if (opts.queue) {
    for (const a of actions) {
      if (a.kind === "split") {
        await enqueue(opts.queue, "shardlet.split", { shardletId: a.shardletId, reason: a.reason }, { deduplication: { id: `split-${a.shardletId}` } });
      } else {
        await enqueue(
          opts.queue,
          "shardlet.merge",
          { leftId: a.leftId, rightId: a.rightId, reason: a.reason },
          { deduplication: { id: `merge-${a.leftId}-${a.rightId}` } },
        );
      }
    }
  }
  if (actions.length > 0) deps.log.debug("lifecycle scan", { splits: actions.filter((a) => a.kind === "split").length, merges: actions.filter((a) => a.kind === "merge").length });
  return { actions, skipped: plan.skipped, resumed, enabled: true };
}
