import { isTerminalMigrationPhase, ShardcastError, type MigrationPhase } from "@shardcast/core";
import {
  appendMigrationEvent,
  beginMigrationAttempt,
  endMigration,
  getHostStatus,
  getMigrationSettings,
  getShardletWithHome,
  isSealedHistory,
  loadMigrationRun,
  updateMigrationProgress,
  type MigrationRun,
} from "@shardcast/db";
import type { WorkerDeps } from "../deps.ts";
import { probeErrorMessage } from "../domain/health.ts";
import { checkAborted } from "../domain/abort.ts";
import { announce, migrationEpochs, note, reload, type MigrationContext, type StepOutcome } from "./context.ts";
import { eventIdTaken } from "./copy.ts";
import { runCopy } from "./copy-phases.ts";
import { runHandoff } from "./handoff.ts";
import { runHistoryStep } from "./history-copy.ts";
import { rollBackHistory } from "./history-switch.ts";
import { startCopy } from "./copy-start.ts";
import { probeDestination } from "./destination.ts";
import { afterSwitchUndone, reopenSource, rollBack, runCleanup } from "./finish.ts";
import { leftoverMark } from "./leftover.ts";
import { refusedOneDatabase, sharedDatabase } from "./same-database.ts";
import { runSwitch } from "./switch.ts";
import { runVerify } from "./verify-phase.ts";

/**
 * The migration mover. Phases (DESIGN.md, "Zero-downtime migration"), each persisted before its
 * work runs, every step idempotent, so a run that stops anywhere is finished by the next:
 *
 *   approved/scheduled -> copying -> verifying -> switching -> cleanup -> done
 *
 * Until `switching` the source is authoritative and a cancel (or giving up) only cleans the
 * destination; a switch is undone only before the mapping switched, when the destination cannot
 * take the shardlet (see stepOrGiveUp); from `cleanup` on the migration only goes forward. One
 * run at a time per migration: a run holds the migration's run lock (an op-lock on `migration:<id>`, never a
 * shardlet id), and takes the shardlet's own op-lock only to start the copy and to switch.
 *
 * A copy of a sealed shardlet (a history copy: a hand-off left it where it was written) runs the
 * same phases without shadow writes or locks, since it takes no writes (history-copy.ts); a hand-off
 * runs the lifecycle machine (handoff.ts).
 */

export type MigrationRunStatus = "done" | "failed" | "cancelled" | "paused" | "busy" | "skipped";

export interface MigrationRunResult {
  migrationId: string;
  status: MigrationRunStatus;
  phase: MigrationPhase;
  /** Paused: when the migration has work again. */
  resumeAt?: number;
  reason?: string;
}

/** The run lock's resource name: the op-lock machinery, on a name no shardlet has. */
export function migrationRunLockId(migrationId: string): string {
  return `migration:${migrationId}`;
}

const BEFORE_SWITCH: ReadonlySet<MigrationPhase> = new Set(["approved", "scheduled", "copying", "verifying"]);

function terminalResult(m: MigrationRun): MigrationRunResult {
  const status: MigrationRunStatus = m.phase === "done" || m.phase === "failed" || m.phase === "cancelled" ? m.phase : "skipped";
  return { migrationId: m.id, status, phase: m.phase };
}

async function buildContext(deps: WorkerDeps, m: MigrationRun, signal: AbortSignal): Promise<MigrationContext | null> {
  const [settings, shardlet] = await Promise.all([
    getMigrationSettings(deps.db),
    getShardletWithHome(deps.db, m.shardletId),
  ]);
  if (!shardlet) return null;
  const [source, dest] = await Promise.all([
    deps.hosts.get(m.sourceHostId),
    // A destination host no longer registered: the run can still give the migration up.
    deps.hosts.get(m.destHostId).catch((err: unknown) => {
      if (err instanceof ShardcastError && err.code === "not_found") return null;
      throw err;
    }),
  ]);
  return {
    deps,
    m,
    settings,
    range: { streamId: shardlet.streamId, lo: Number(shardlet.lo), hi: Number(shardlet.hi) },
    shardId: shardlet.shardId,
    homeHostId: shardlet.shard.homeHostId,
    source,
    dest,
    signal,
    sharedDatabase: undefined,
    // A copy of a sealed shardlet moves its history (history-copy.ts); a hand-off never runs on one.
    history: m.mode === "copy" && isSealedHistory(shardlet),
  };
}

/** The work of the migration's current phase. */
async function step(ctx: MigrationContext): Promise<StepOutcome> {
  const { m, settings } = ctx;
  if (m.mode === "handoff") return runHandoff(ctx);
  if (BEFORE_SWITCH.has(m.phase)) {
    if (m.cancelRequested) return { kind: "abort", to: "cancelled", why: "cancelled on request" };
    if (m.attempts > settings.maxAttempts) {
      return { kind: "abort", to: "failed", why: `given up after ${m.attempts - 1} runs (last error: ${m.error ?? "none"})` };
    }
    // A copy under way (started before the check existed) stops too; startCopy checks before any copy.
    if (m.phase === "copying" || m.phase === "verifying") {
      const shared = await sharedDatabase(ctx);
      if (shared) return refusedOneDatabase(shared);
    }
  }
  if (ctx.history) return runHistoryStep(ctx);
  switch (m.phase) {
    case "approved":
    case "scheduled":
      return startCopy(ctx);
    case "copying":
      return runCopy(ctx);
    case "verifying":
      return runVerify(ctx);
    case "switching":
      return runSwitch(ctx);
    case "cleanup":
      return runCleanup(ctx);
    default:
      throw new ShardcastError("internal", `migration ${m.id} has no work in phase ${m.phase}`);
  }
}

/**
 * The step; when it fails before the mapping switched, whether that gives the migration up: the
 * destination holds one of the range's event ids for another event, or the destination is gone
 * (in `switching`, where the source is frozen and its writes diverted, also when it is merely
 * unreachable past the retries). Otherwise the error goes to the job's retry, as before.
 */
async function stepOrGiveUp(ctx: MigrationContext): Promise<StepOutcome> {
  const phase = ctx.m.phase;
  try {
    return await step(ctx);
  } catch (err) {
    checkAborted(ctx.signal);
    // The mapping switched: the destination alone holds the shardlet's newer events.
    if (ctx.m.phase === "cleanup" || phase === "cleanup") {
      await blockedNote(ctx);
      throw err;
    }
    const taken = eventIdTaken(err);
    if (taken) return { kind: "abort", to: "failed", why: taken };
    // A probe that fails otherwise says nothing about the destination: the step's error is what stopped the run.
    const lost = await probeDestination(ctx).catch(() => null);
    if (!lost || !(lost.permanent || ctx.m.phase === "switching")) throw err;
    const hostName = (await getHostStatus(ctx.deps.db, ctx.m.destHostId))?.name ?? ctx.m.destHostId;
    return { kind: "abort", to: "failed", why: `the destination host ${hostName} ${lost.reason}`, lost: { problem: lost, hostName } };
  }
}

/** After the switch the destination alone holds the shardlet's new events: a lost destination blocks it, which the log says. */
async function blockedNote(ctx: MigrationContext): Promise<void> {
  const lost = await probeDestination(ctx).catch(() => null);
  if (!lost) return;
  await note(ctx, {
    level: "error",
    message: `Blocked: the destination host ${lost.reason}. The shardlet lives there since the switch (its newer events exist only there), so the migration cannot be undone; it finishes once the host answers`,
  }).catch(() => undefined);
}

/**
 * Undoes a switch whose mapping has not switched (see reopenSource): under the shardlet's op-lock
 * the source reopens and the migration fails, the shardlet staying on the source at the switch
 * epoch; then the overflow is drained into it and the destination cleaned, or left for later.
 */
async function giveUpSwitch(ctx: MigrationContext, why: string): Promise<MigrationRunResult> {
  const { deps, m } = ctx;
  if (!deps.opLocks) throw new ShardcastError("unavailable", "op-locks are not configured on this worker");
  const epochs = migrationEpochs(m);
  let result: MigrationRunResult | null = null;
  try {
    await deps.opLocks.withOpLock(m.shardletId, async (lock) => {
      await reopenSource(ctx);
      lock.assertHeld();
      result = await end(ctx, "failed", `${why}; the switch was undone: the shardlet stays on the source at epoch ${epochs.switched}`, {
        details: leftoverMark(ctx, epochs.switched),
        reopened: { from: epochs.copy, to: epochs.switched },
      });
    });
  } catch (err) {
    const lockedElsewhere = !result && err instanceof ShardcastError && err.code === "conflict" && (await deps.opLocks.isLocked(m.shardletId).catch(() => false));
    if (!lockedElsewhere) throw err;
    const resumeAt = deps.clock() + (deps.migration?.lockRetryMs ?? 2_000);
    return { migrationId: m.id, status: "paused", phase: "switching", resumeAt, reason: `undoing the switch: the shardlet is op-locked by another job` };
  }
  const ended = result as MigrationRunResult | null;
  if (ended?.status === "failed") {
    // The migration has ended: what is left here is also done by the overflow and leftover sweeps.
    await afterSwitchUndone(ctx).then(
      (after) => deps.log.info("migration switch undone", { migrationId: m.id, after }),
      (err: unknown) => deps.log.warn("after undoing a switch: drain or destination cleanup failed; the sweeps finish it", { migrationId: m.id, error: probeErrorMessage(err) }),
    );
  }
  return ended ?? terminalResult(await reload(ctx));
}

/** Ends the migration (and tells the edges: the shadow host leaves the route). */
async function end(
  ctx: MigrationContext,
  to: "done" | "failed" | "cancelled",
  message: string,
  extra: { details?: Record<string, unknown>; reopened?: { from: number; to: number } } = {},
): Promise<MigrationRunResult> {
  const { deps, m, range } = ctx;
  const started = m.startedAt?.getTime() ?? m.createdAt.getTime();
  const how = m.mode === "handoff" ? " by hand-off" : ctx.history ? " (its sealed history)" : "";
  const what = `shardlet ${m.shardletId} [${range.lo}, ${range.hi}) from host ${m.sourceHostId} to host ${m.destHostId}${how}`;
  const ended = await endMigration(
    deps.db,
    m.id,
    m.phase,
    to,
    {
      level: to === "failed" ? "error" : "info",
      message: to === "done" ? message : `${to === "failed" ? "Failed" : "Cancelled"}: ${message}`,
      ...(extra.details ? { details: extra.details } : {}),
    },
    {
      kind: to === "cancelled" ? "shardlet.migrate.cancel" : "shardlet.migrate",
      status: to === "failed" ? "failed" : "succeeded",
      streamId: range.streamId,
      shardletId: m.shardletId,
      hostId: m.destHostId,
      actor: m.decidedBy ?? m.proposedBy ?? "worker",
      message: to === "done" ? `moved ${what}: ${message}` : `migration of ${what} ${to}: ${message}`,
      details: { migrationId: m.id, origin: m.origin, mode: m.mode, reason: m.reason, rowsCopied: m.rowsCopied, attempts: m.attempts, sourceHostId: m.sourceHostId },
      durationMs: deps.clock() - started,
    },
    extra.reopened ? { shardletId: m.shardletId, hostId: m.sourceHostId, fromEpoch: extra.reopened.from, toEpoch: extra.reopened.to } : undefined,
  );
  if (!ended) return terminalResult(await reload(ctx));
  // A hand-off's migration never enters a shadow phase, so its end changes no route (its job
  // told the edges at the switch): one route reload per edge fewer per hand-off.
  if (m.mode !== "handoff") await announce(ctx);
  deps.log.info(`migration ${to}`, { migrationId: m.id, shardletId: m.shardletId, message });
  return { migrationId: m.id, status: to, phase: to };
}

async function runLocked(deps: WorkerDeps, id: string, signal: AbortSignal): Promise<MigrationRunResult> {
  const m = await beginMigrationAttempt(deps.db, id);
  if (isTerminalMigrationPhase(m.phase) || m.phase === "proposed") return terminalResult(m);
  const ctx = await buildContext(deps, m, signal);
  if (!ctx) throw new ShardcastError("internal", `shardlet ${m.shardletId} of migration ${m.id} does not exist`);
  try {
    for (;;) {
      checkAborted(signal);
      if (isTerminalMigrationPhase(ctx.m.phase)) return terminalResult(ctx.m);
      const outcome = await stepOrGiveUp(ctx);
      if (outcome.kind === "paused") {
        await note(ctx, { message: `Paused: ${outcome.reason}`, details: { resumeAt: new Date(outcome.resumeAt).toISOString() } });
        return { migrationId: id, status: "paused", phase: ctx.m.phase, resumeAt: outcome.resumeAt, reason: outcome.reason };
      }
      if (outcome.kind === "done") return end(ctx, "done", outcome.message);
      if (outcome.kind === "abort") {
        // A history copy never changed its source before the switch: only its destination is cleaned.
        if (ctx.history) return end(ctx, outcome.to, `${outcome.why}; ${await rollBackHistory(ctx, outcome.lost)}`);
        if (ctx.m.phase === "switching") return giveUpSwitch(ctx, outcome.why);
        // A hand-off that gave up changed nothing and wrote nothing on the destination.
        if (ctx.m.mode === "handoff") return end(ctx, outcome.to, outcome.why);
        const undone = await rollBack(ctx, outcome.lost);
        return end(ctx, outcome.to, `${outcome.why}; ${undone}`);
      }
      await reload(ctx);
    }
  } catch (err) {
    const message = `${ctx.m.phase}: ${probeErrorMessage(err)}`;
    deps.log.warn("migration run stopped", { migrationId: id, phase: ctx.m.phase, error: probeErrorMessage(err) });
    // Recorded for the console; the job's retry (or the scheduler) resumes the phase.
    await Promise.all([
      updateMigrationProgress(deps.db, id, { error: message }),
      appendMigrationEvent(deps.db, { migrationId: id, phase: ctx.m.phase, level: "error", message: `Run stopped: ${message}` }),
    ]).catch(() => undefined);
    throw err;
  }
}

/**
 * Runs (or resumes) a migration until it ends, pauses (window not open, cleanup grace, a lock held
 * elsewhere) or fails (host unreachable past the retries, aborted): then its phase is kept for the
 * next run. Returns `busy` when another run holds the migration.
 */
export async function runMigration(deps: WorkerDeps, id: string, opts: { signal?: AbortSignal } = {}): Promise<MigrationRunResult> {
  const found = await loadMigrationRun(deps.db, id);
  if (!found) throw new ShardcastError("not_found", `unknown migration ${id}`);
  if (isTerminalMigrationPhase(found.phase) || found.phase === "proposed") return terminalResult(found);
  if (!deps.opLocks) throw new ShardcastError("unavailable", "op-locks are not configured on this worker");
  let entered = false;
  try {
    return await deps.opLocks.withOpLock(migrationRunLockId(id), (lock) => {
      entered = true;
      const signal = opts.signal ? AbortSignal.any([lock.signal, opts.signal]) : lock.signal;
      return runLocked(deps, id, signal);
    });
  } catch (err) {
    if (!entered && err instanceof ShardcastError && err.code === "conflict") {
      return { migrationId: id, status: "busy", phase: found.phase, reason: "another run holds the migration" };
    }
    throw err;
  }
}
