import { enqueue, type JobPayload, type JobQueue } from "@shardcast/jobs";
import type { WorkerDeps } from "../deps.ts";
import { runMigration, type MigrationRunResult } from "../migration/machine.ts";

/** What a migration.run job reports (kept small: it is stored in Redis). */
export type MigrationJobOutcome = Pick<MigrationRunResult, "status" | "phase" | "resumeAt">;

/**
 * `migration.run`: runs or resumes one migration (see migration/machine.ts). A run that pauses
 * (window not open yet, cleanup grace, a lock held elsewhere) asks for a delayed run at the time it
 * has work again; the scheduler is the safety net behind that.
 */
export async function runMigrationJob(
  deps: WorkerDeps,
  payload: JobPayload<"migration.run">,
  opts: { signal?: AbortSignal; queue?: JobQueue } = {},
): Promise<MigrationJobOutcome> {
  const r = await runMigration(deps, payload.migrationId, { signal: opts.signal });
  if (r.status === "paused" && r.resumeAt !== undefined && opts.queue) {
    await enqueue(
      opts.queue,
      "migration.run",
      { migrationId: payload.migrationId },
      { delay: Math.max(0, r.resumeAt - deps.clock()), deduplication: { id: `migration-resume-${payload.migrationId}` } },
    );
  }
  return { status: r.status, phase: r.phase, ...(r.resumeAt !== undefined ? { resumeAt: r.resumeAt } : {}) };
}
