import { ShardcastError } from "@shardcast/core";
import { createLifecycleJob, findUnfinishedLifecycleJob, getHostStatus, getShardletPlacement } from "@shardcast/db";
import { runLifecycleJob } from "../lifecycle/machine.ts";
import { newShardletId } from "../lifecycle/shape.ts";
import { note, paused, type MigrationContext, type StepOutcome } from "./context.ts";
import { outsideWindow, windowNow } from "./copy-phases.ts";
import { staleProblem } from "./copy-start.ts";

/**
 * A hand-off migration: the shardlet's write load moves, its history stays. The work is the
 * lifecycle machine's `handoff` job (lifecycle/steps.ts): under the shardlet's op-lock its fence is
 * raised (writes in flight finish, later ones go to the overflow log), a successor with the same
 * range is prepared on the destination, then the successor's fence opens there and the source's is
 * sealed, the control rows switch in one statement and the edges are told; the overflow rows of
 * the lock window are drained into the successor. No row is copied: readers read the sealed
 * source's host as the range's history (`historyHostIds` on the route) until retention drops it.
 *
 * The job is persisted and idempotent, so a run that stops anywhere is finished by the next run of
 * this migration (the scheduler resumes it: the migration stays `approved`/`scheduled` until the
 * job is done, then ends `done`). Before the job exists a cancel, a closed window or a stale
 * premise ends the migration with nothing changed; once it has fenced the source it only goes
 * forward.
 */
export async function runHandoff(ctx: MigrationContext): Promise<StepOutcome> {
  const { deps, m } = ctx;
  const retryAt = () => deps.clock() + (deps.migration?.lockRetryMs ?? 2_000);
  let job = await findUnfinishedLifecycleJob(deps.db, m.shardletId);
  if (job && (job.kind !== "handoff" || job.destHostId !== m.destHostId)) {
    return paused(retryAt(), `waiting for ${job.kind} job ${job.id} on the shardlet to finish`);
  }
  if (!job) {
    if (m.cancelRequested) return { kind: "abort", to: "cancelled", why: "cancelled before the hand-off started" };
    if (m.attempts > ctx.settings.maxAttempts) {
      return { kind: "abort", to: "failed", why: `given up after ${m.attempts - 1} runs (last error: ${m.error ?? "none"})` };
    }
    const blocked = outsideWindow(ctx, windowNow(ctx));
    if (blocked) return blocked;
    const [s, dest] = await Promise.all([getShardletPlacement(deps.db, m.shardletId), getHostStatus(deps.db, m.destHostId)]);
    const problem = staleProblem(m, s);
    if (problem) return { kind: "abort", to: "failed", why: `not started: ${problem}` };
    if (!dest) return { kind: "abort", to: "failed", why: `the destination host ${m.destHostId} is not registered` };
    if (dest.status !== "active") return { kind: "abort", to: "failed", why: `the destination host ${dest.name} is ${dest.status}; moves go only to active hosts` };
    const planned = await createLifecycleJob(deps.db, {
      kind: "handoff",
      streamId: m.streamId,
      hostId: m.sourceHostId,
      destHostId: m.destHostId,
      sourceIds: [m.shardletId],
      childIds: [newShardletId(deps.clock())],
      reason: `migration ${m.id} (${m.origin}): ${m.reason}`,
      actor: m.decidedBy ?? m.proposedBy ?? m.origin,
    });
    job = planned.job;
    if (job.kind !== "handoff" || job.destHostId !== m.destHostId) return paused(retryAt(), `waiting for ${job.kind} job ${job.id} on the shardlet to finish`);
    await note(ctx, { message: `Hand-off started: successor ${job.childIds[0]} opens on host ${dest.name}; no row is copied`, details: { jobId: job.id } });
  }
  try {
    const res = await runLifecycleJob(deps, job.id, { signal: ctx.signal });
    if (res.status === "failed") return { kind: "abort", to: "failed", why: `the hand-off gave up before changing anything: ${res.error ?? "no reason given"}` };
    const ms = res.durationMs;
    return {
      kind: "done",
      message:
        `handed off to ${job.childIds[0]} in ${ms} ms, no row copied (${res.drained} events written meanwhile went through the overflow log); ` +
        `the history stays on the source, sealed and readable, until retention drops it`,
    };
  } catch (err) {
    // The shardlet's op-lock held by another job (a split, merge or archive about to start): try again shortly.
    if (err instanceof ShardcastError && err.code === "conflict" && (await deps.opLocks?.isLocked(m.shardletId).catch(() => false))) {
      return paused(retryAt(), `the shardlet is op-locked by another job: ${err.message}`);
    }
    throw err;
  }
}
