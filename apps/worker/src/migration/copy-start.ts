import { ShardcastError } from "@shardcast/core";
import { findCleaningMigration, findUnfinishedLifecycleJob, getHostStatus, getShardletPlacement, migrationPhaseEnteredAt, rangeNeighbours, sealedOverlapping, startMigrationCopy } from "@shardcast/db";
import { afterPhase, afterStep, announce, NEXT, paused, reload, type MigrationContext, type StepOutcome } from "./context.ts";
import { ensureCopyFences, outsideWindow, windowNow } from "./copy-phases.ts";
import { refusedOneDatabase, sharedDatabase } from "./same-database.ts";

function lockRetryMs(ctx: MigrationContext): number {
  return ctx.deps.migration?.lockRetryMs ?? 2_000;
}

/** Why the migration cannot run against the shardlet as it is now, or null when it can. */
export function staleProblem(
  m: { shardletEpoch: number; sourceHostId: string; destHostId: string },
  s: { state: string; epoch: number; hostId: string } | null,
): string | null {
  if (!s || s.state === "retired") return "the shardlet no longer exists (it was split or merged since the migration was proposed)";
  if (s.state === "sealed") return "the shardlet was handed off to another host since the migration was proposed (its successor takes the writes)";
  if (s.hostId !== m.sourceHostId) return `the shardlet is on host ${s.hostId} now, not on the source ${m.sourceHostId}`;
  if (m.shardletEpoch > 0 && s.epoch !== m.shardletEpoch) {
    return `the shardlet changed since the migration was proposed (epoch ${m.shardletEpoch} -> ${s.epoch}: split, merged or moved)`;
  }
  if (s.state !== "active") return `the shardlet is ${s.state}, not active`;
  if (m.destHostId === m.sourceHostId) return "the destination is the source host";
  return null;
}

/**
 * approved / scheduled -> copying. Under the shardlet's op-lock (which a split or merge also
 * takes, and which makes edges send its events to the overflow log meanwhile): the shardlet must
 * still be what the migration was proposed for, and no split or merge may be under way on it.
 * Then one control transaction moves the migration to `copying` and raises the shardlet's epoch,
 * so every writer that routes with the new epoch also knows the shadow host; the fences follow
 * (see ensureCopyFences). Overflow rows of the lock window are drained into the source as the
 * copy begins (see runCopy; the sweep leaves migrating shardlets alone).
 */
export async function startCopy(ctx: MigrationContext): Promise<StepOutcome> {
  const { deps, m } = ctx;
  if (m.cancelRequested) return { kind: "abort", to: "cancelled", why: "cancelled before the copy started" };
  const blocked = outsideWindow(ctx, windowNow(ctx));
  if (blocked) return blocked;
  const dest = await getHostStatus(deps.db, m.destHostId);
  if (!dest) return { kind: "abort", to: "failed", why: `the destination host ${m.destHostId} is not registered` };
  if (dest.status !== "active") return { kind: "abort", to: "failed", why: `the destination host ${dest.name} is ${dest.status}; moves go only to active hosts` };
  // Before anything is written: a copy onto the source's own database, then its cleanup, would lose the rows.
  const shared = await sharedDatabase(ctx);
  if (shared) return refusedOneDatabase(shared);
  // A copy counts, verifies and cleans up by key-hash range: history a hand-off left on either host
  // (a sealed shardlet of the range) would be taken for the moving shardlet's own rows.
  const history = await sealedOverlapping(deps.db, { streamId: m.streamId, lo: ctx.range.lo, hi: ctx.range.hi, hostIds: [m.sourceHostId, m.destHostId] });
  const first = history[0];
  if (first) {
    return {
      kind: "abort",
      to: "failed",
      why:
        `refused: host ${first.hostId === m.sourceHostId ? "source" : "destination"} ${first.hostId} holds history of this range that a hand-off left there ` +
        `(sealed shardlet ${first.id}, until ${first.expiresAt.toISOString()}); a copy would take it for the shardlet's own rows. Move the shardlet by hand-off, or copy once that history has expired`,
    };
  }
  // Nor may sealed history of this range be arriving on either host (a history copy under way).
  const incoming = (await rangeNeighbours(deps.db, { ...ctx.range, exceptId: m.shardletId })).moves.find(
    (x) => x.history && (x.destHostId === m.sourceHostId || x.destHostId === m.destHostId),
  );
  if (incoming) {
    return {
      kind: "abort",
      to: "failed",
      why:
        `refused: history copy ${incoming.migrationId} is copying sealed history of this range onto the ${incoming.destHostId === m.sourceHostId ? "source" : "destination"} host ${incoming.destHostId}; ` +
        `a copy would take it for the shardlet's own rows. Move the shardlet by hand-off, or to another host`,
    };
  }
  if (!deps.opLocks) throw new ShardcastError("unavailable", "op-locks are not configured on this worker");
  // The destination may still be deleting a range of this stream it gave away (its own cleanup,
  // which deletes by range): a copy into an overlapping range must not start before that is done.
  const cleaning = await findCleaningMigration(deps.db, { streamId: m.streamId, hostId: m.destHostId });
  if (cleaning) {
    const entered = (await migrationPhaseEnteredAt(deps.db, cleaning.id, "cleanup"))?.getTime() ?? deps.clock();
    const resumeAt = Math.max(deps.clock() + lockRetryMs(ctx), entered + ctx.settings.cleanupGraceMs + 1_000);
    return paused(resumeAt, `waiting for migration ${cleaning.id} to finish cleaning the destination`);
  }

  let outcome: StepOutcome | null = null;
  try {
    await deps.opLocks.withOpLock(m.shardletId, async (lock) => {
      const [s, job] = await Promise.all([
        getShardletPlacement(deps.db, m.shardletId),
        findUnfinishedLifecycleJob(deps.db, m.shardletId),
      ]);
      if (job) {
        outcome = paused(deps.clock() + lockRetryMs(ctx), `waiting for ${job.kind} job ${job.id} on the shardlet to finish`);
        return;
      }
      const problem = staleProblem(m, s);
      if (problem) {
        outcome = { kind: "abort", to: "failed", why: `not started: ${problem}` };
        return;
      }
      lock.assertHeld();
      const fromEpoch = s!.epoch;
      await startMigrationCopy(
        deps.db,
        { id: m.id, from: m.phase, shardletId: m.shardletId, sourceHostId: m.sourceHostId, fromEpoch, toEpoch: fromEpoch + 1 },
        {
          message: `Copy started: shadow writes to the destination on at epoch ${fromEpoch + 1}`,
          details: { epoch: fromEpoch + 1, lo: ctx.range.lo, hi: ctx.range.hi },
        },
      );
      ctx.m = { ...m, phase: "copying", shardletEpoch: fromEpoch, startedAt: new Date(deps.clock()), copyCursor: 0, rowsCopied: 0, copyRate: 0 };
      await afterStep(ctx, "start.control");
      await ensureCopyFences(ctx);
    });
  } catch (err) {
    if (!(err instanceof ShardcastError && err.code === "conflict") || ctx.m.phase === "copying") throw err;
    // A decision moved the migration meanwhile (e.g. cancelled before it started): go on from there.
    const phase = ctx.m.phase;
    if ((await reload(ctx)).phase !== phase) return NEXT;
    // Another job (a split or merge about to start) holds the lock: try again shortly.
    return paused(deps.clock() + lockRetryMs(ctx), `the shardlet is op-locked by another job: ${err.message}`);
  }
  if (outcome) return outcome;
  // Edges reload the routes: the new epoch and the shadow host.
  await announce(ctx);
  await afterPhase(ctx, "copying");
  return NEXT;
}
