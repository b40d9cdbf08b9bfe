import { listMigrationsToRun } from "@shardcast/db";
import { enqueue, type JobQueue } from "@shardcast/jobs";
import type { WorkerDeps } from "../deps.ts";
import { sweepDestinationLeftovers } from "../migration/leftover.ts";
import { migrationRunLockId } from "../migration/machine.ts";
import { migrationDue } from "../migration/schedule.ts";
import { checkAborted } from "../domain/abort.ts";

export interface MigrationSchedulerResult {
  /** Approved or scheduled migrations handed to the mover. */
  started: number;
  /** Running migrations nobody was running (a worker died, a run paused or failed), handed back. */
  resumed: number;
  /** Migrations a run holds right now. */
  running: number;
  /** Migrations waiting for their window. */
  waiting: number;
}

/**
 * An enqueued run blocks further enqueues of the same migration for this long, even if the worker
 * that took it died (a dead worker's job would otherwise hold the deduplication until BullMQ
 * notices it stalled, 30 s); a live run holds the run lock, which the scheduler checks first. The
 * same as the op-locks' lifetime, so a dead worker's migration is handed out again as soon as its
 * run lock has expired.
 */
const DEDUP_TTL_MS = 10_000;

/**
 * The leftover sweep reads the event logs of a month of ended migrations, and a leftover's host is
 * retried after a minute at the soonest: sweeping on every scheduler run (seconds apart) would
 * mostly repeat those reads for nothing.
 */
const LEFTOVER_SWEEP_EVERY_MS = 60_000;
/** When this worker (its deps) last started a leftover sweep, on its clock. */
const leftoversSweptAt = new WeakMap<WorkerDeps, number>();

/**
 * `migration.scheduler`: starts approved migrations and scheduled ones whose window opened, and
 * resumes running ones that no run holds (the run lock expires when a worker dies), including
 * cancels requested while nobody ran them; then removes what given-up migrations left on
 * destinations that answer again (see migration/leftover.ts), at most once a minute.
 */
export async function runMigrationScheduler(deps: WorkerDeps, opts: { queue?: JobQueue; signal?: AbortSignal } = {}): Promise<MigrationSchedulerResult> {
  const out: MigrationSchedulerResult = { started: 0, resumed: 0, running: 0, waiting: 0 };
  const now = deps.clock();
  for (const m of await listMigrationsToRun(deps.db)) {
    checkAborted(opts.signal);
    if (!migrationDue(m, now)) {
      out.waiting++;
      continue;
    }
    if (deps.opLocks && (await deps.opLocks.isLocked(migrationRunLockId(m.id)))) {
      out.running++;
      continue;
    }
    if (opts.queue) {
      await enqueue(opts.queue, "migration.run", { migrationId: m.id }, { deduplication: { id: `migration-${m.id}`, ttl: DEDUP_TTL_MS } });
    }
    if (m.phase === "approved" || m.phase === "scheduled") out.started++;
    else out.resumed++;
  }
  if (out.started + out.resumed > 0) deps.log.debug("migration scheduler", { ...out });
  const swept = leftoversSweptAt.get(deps);
  if (swept === undefined || now - swept >= LEFTOVER_SWEEP_EVERY_MS) {
    leftoversSweptAt.set(deps, now);
    await sweepDestinationLeftovers(deps, opts.signal ? { signal: opts.signal } : {}).catch((err: unknown) => {
      checkAborted(opts.signal);
      deps.log.warn("destination leftover sweep failed", { err });
    });
  }
  return out;
}
