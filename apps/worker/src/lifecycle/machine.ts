import { ShardcastError } from "@shardcast/core";
import {
  advanceLifecycleJob,
  failLifecycleJob,
  getLifecycleJob,
  getLifecycleSettings,
  startLifecycleAttempt,
  updateLifecycleProgress,
  type LifecycleJobInfo,
  type LifecycleKind,
  type LifecycleStep,
} from "@shardcast/db";
import type { WorkerDeps } from "../deps.ts";
import { probeErrorMessage } from "../domain/health.ts";
import { checkAborted } from "../domain/abort.ts";
import { withOpLocks } from "./locks.ts";
import { announceRoutes, childRanges, GiveUp, loadSources, nextPhase, readLockedChecks, type RunContext } from "./run-context.ts";
import { STEPS } from "./steps.ts";
import { switchAgainIfResumed } from "./successor.ts";

/**
 * The split / merge / hand-off state machine. Every phase is persisted in lifecycle_jobs before its step
 * runs and every step is idempotent, so a run that stops anywhere (crash, lost lock, host error)
 * is finished by the next run of the same job:
 *
 *   planned -> locked -> fenced -> moving -> switching -> draining -> done
 *
 * (a hand-off skips `moving`: it prepares its successor in `fenced`, beside the fence raise).
 *
 * Before `fenced` nothing has changed and a job that cannot go on ends as `failed`, the sources
 * untouched. From `fenced` on the sources reject writes, so the job only ever goes forward.
 *
 * No row is rewritten: a shardlet's rows on its host are those whose key hash lies in its range,
 * so `moving` (named when it re-labelled rows) now means "children prepared": their fences,
 * totals and control rows. A hand-off is the same machine with one child, the successor, opened on
 * another host (`destHostId`): its source is sealed instead of retired and keeps its rows, which
 * readers read as the range's history until retention drops them. While the sources are op-locked the edges hold their
 * producers' events back for the switch (those a hold cannot cover go to the overflow log), so the lock window is kept short: what needs no lock (split point, child ids,
 * settings, host connection) is done before the locks are taken, independent reads run at once,
 * the steps that end with a control write persist the next phase in the same statement, `locked`'s
 * checks run on reads taken under the locks and the attempt's statement (the run's count) moves a
 * job that passed them from `planned` or `locked` straight to the next phase, and the drain and `done` (the record of the finished
 * job) run after the locks are let go: once the switch is announced the children take writes, and
 * the overflow-pending flag keeps re-sent ids idempotent until the drain has emptied the log (as
 * it does when a worker dies before its drain and the sweep drains instead).
 */

/** How long edges may hold a hand-off's writes back for its switch (see `LifecycleTuning.handoffHoldMs`). */
export const DEFAULT_HANDOFF_HOLD_MS = 250;
/** How long edges may hold a split's or merge's writes back for its switch (see `LifecycleTuning.splitHoldMs`). */
export const DEFAULT_SPLIT_HOLD_MS = 250;

export interface LifecycleRunResult {
  jobId: string;
  kind: LifecycleKind;
  status: "done" | "failed";
  phase: string;
  /** Rows the children took over (none rewritten). */
  rowsMoved: number;
  drained: number;
  /** From the job's creation to now (several runs when it was resumed). */
  durationMs: number;
  error?: string;
}

function result(job: LifecycleJobInfo, nowMs: number, error?: string): LifecycleRunResult {
  return {
    jobId: job.id,
    kind: job.kind,
    status: job.phase === "failed" ? "failed" : "done",
    phase: job.phase,
    rowsMoved: job.rowsMoved,
    drained: job.drained,
    durationMs: nowMs - job.createdAt.getTime(),
    ...(error !== undefined ? { error } : {}),
  };
}

async function runStep(ctx: RunContext, phase: LifecycleStep): Promise<void> {
  ctx.lock?.assertHeld();
  checkAborted(ctx.signal);
  const started = ctx.deps.clock();
  await STEPS[phase](ctx);
  ctx.timings[phase] = ctx.deps.clock() - started;
  await ctx.deps.lifecycle?.hooks?.afterStep?.(phase, ctx.job, ctx.lock?.signal);
}

/** Persists the next phase, unless the step already wrote it with its own last control write. */
async function advance(ctx: RunContext, from: LifecycleStep, to: LifecycleStep): Promise<void> {
  if (ctx.job.phase !== to) {
    ctx.lock?.assertHeld();
    checkAborted(ctx.signal);
    if (!(await advanceLifecycleJob(ctx.deps.db, ctx.job.id, from, to))) {
      throw new ShardcastError("conflict", `lifecycle job ${ctx.job.id} was moved past ${from} by another run`);
    }
    ctx.job.phase = to;
  }
  await ctx.deps.lifecycle?.hooks?.afterPhase?.(to, ctx.job, ctx.lock?.signal);
}

/** Records why a run stopped on the job (it stays at its phase for the next run) and rethrows. */
async function stopped(deps: WorkerDeps, job: LifecycleJobInfo, err: unknown): Promise<never> {
  await updateLifecycleProgress(deps.db, job.id, { error: `${job.phase}: ${probeErrorMessage(err)}` }).catch(() => undefined);
  throw err instanceof GiveUp ? new ShardcastError("conflict", err.message) : err;
}

/**
 * Runs (or resumes) a persisted split, merge or hand-off to its end; every step up to the switch
 * runs under the op-locks of its sources. Throws when it had to stop (lock held elsewhere or lost, host
 * unreachable, aborted): the job stays at its phase for the next run.
 */
export async function runLifecycleJob(deps: WorkerDeps, jobId: string, opts: { signal?: AbortSignal } = {}): Promise<LifecycleRunResult> {
  const [found, settings] = await Promise.all([getLifecycleJob(deps.db, jobId), getLifecycleSettings(deps.db)]);
  if (!found) throw new ShardcastError("not_found", `unknown lifecycle job ${jobId}`);
  if (found.finishedAt) return result(found, deps.clock());
  const childHostId = found.destHostId ?? found.hostId;
  const [driver, childDriver] = await Promise.all([deps.hosts.get(found.hostId), deps.hosts.get(childHostId)]);
  const hooks = deps.lifecycle?.hooks;
  // The lock window is a few statements (a split or merge also counts its ranges): edges hold the
  // sources' writes back for the switch and store them once in the children, rather than send
  // them through the overflow log, its id lookups and its drain. A held batch stalls its producer
  // for the window; measured under continuous churn that costs the ingest no more than the
  // overflow path did (docs/performance.md). A window longer than the hold (a slow count) sends
  // the rest to the overflow log as before.
  const holdMs = found.kind === "handoff" ? (deps.lifecycle?.handoffHoldMs ?? DEFAULT_HANDOFF_HOLD_MS) : (deps.lifecycle?.splitHoldMs ?? DEFAULT_SPLIT_HOLD_MS);
  const hold = holdMs > 0 ? { holdMs } : undefined;

  const held = await withOpLocks(deps.opLocks, found.sourceIds, async (lock): Promise<{ ended: LifecycleRunResult } | { ctx: RunContext }> => {
    const lockedAt = deps.clock();
    // Independent reads at once; their errors surface below, where the job handles them.
    const loading = loadSources(deps, found);
    const startable = found.phase === "planned" || found.phase === "locked";
    const checking = startable ? readLockedChecks(deps, found, driver, childHostId) : null;
    loading.catch(() => undefined);
    checking?.catch(() => undefined);
    const context = (job: LifecycleJobInfo, loaded: Awaited<typeof loading>): RunContext => ({
      deps,
      job,
      lock,
      signal: opts.signal,
      sources: loaded.sources,
      children: childRanges(job, loaded.sources),
      driver,
      childHostId,
      childDriver,
      homeHostId: loaded.homeHostId,
      childCapacityBytes: settings.initialCapacityBytes,
      // Read with the locks just taken, so valid for this run's `locked` checks only.
      lockedReads: job.phase === "planned" || job.phase === "locked" ? checking : null,
      lockedAt,
      unlockedAt: null,
      switchedAt: null,
      flagsAnnounced: false,
      timings: {},
      afterUnlock: [],
    });
    // `locked`'s checks run on the reads taken under the locks, before the attempt's statement,
    // which then moves a job that passed them straight on to the next phase: one commit in the
    // lock window instead of two (the attempt, then `locked`'s end). A job another run moved
    // meanwhile is left where it is by that statement, and this run goes on from there.
    let checkedMs: number | null = null;
    let refused: Error | null = null;
    if (startable) {
      const started = deps.clock();
      try {
        await STEPS.locked(context(found, await loading));
        checkedMs = deps.clock() - started;
      } catch (err) {
        refused = err instanceof Error ? err : new Error(String(err));
      }
    }
    const attempt = await startLifecycleAttempt(deps.db, jobId, checkedMs !== null ? nextPhase("locked", found.kind) : null);
    const job = attempt.job;
    if (job.finishedAt) return { ended: result(job, deps.clock()) };
    try {
      // A check that failed on a job still at `planned` or `locked`: handled below as the step's.
      if (refused !== null && (job.phase === "planned" || job.phase === "locked")) throw refused;
      const ctx = context(job, await loading);
      if (attempt.fromPlanned) {
        // `planned` has no step; its end and `locked` were persisted with the attempt.
        ctx.timings.planned = 0;
        await hooks?.afterStep?.("planned", job, lock.signal);
        await hooks?.afterPhase?.("locked", job, lock.signal);
      }
      if (attempt.checked && checkedMs !== null) {
        ctx.timings.locked = checkedMs;
        await hooks?.afterStep?.("locked", job, lock.signal);
        await hooks?.afterPhase?.(job.phase as LifecycleStep, job, lock.signal);
      }
      for (;;) {
        const phase = job.phase;
        // The switch was the last step that needs the locks: the drain runs after them.
        if (phase === "draining") await switchAgainIfResumed(ctx);
        if (phase === "failed" || phase === "done" || phase === "draining") break;
        await runStep(ctx, phase);
        await advance(ctx, phase, nextPhase(phase, job.kind));
      }
      if (job.phase === "failed") return { ended: result(job, deps.clock()) };
      return { ctx };
    } catch (err) {
      if (err instanceof GiveUp && (err.final || job.phase === "planned" || job.phase === "locked")) {
        await failLifecycleJob(deps.db, job.id, err.message, {
          kind: `shardlet.${job.kind}`,
          status: "failed",
          streamId: job.streamId,
          shardletId: job.sourceIds[0]!,
          hostId: job.hostId,
          actor: job.actor ?? "worker",
          message: `${job.kind} of ${job.sourceIds.join(" + ")} abandoned${err.final ? "" : " before any change"}: ${err.message}`,
          details: { jobId: job.id, reason: job.reason },
          durationMs: deps.clock() - job.createdAt.getTime(),
        });
        return { ended: result({ ...job, phase: "failed" }, deps.clock(), err.message) };
      }
      return stopped(deps, job, err);
    }
  }, hold);
  if ("ended" in held) return held.ended;

  // The locks are let go: the children are live. Edges write into them from now on; the ranges
  // stay flagged overflow-pending, so a re-sent id is still looked up in the log until the drain
  // (the job's own, here, or the sweep's after a crash) has emptied it.
  const { ctx } = held;
  ctx.lock = null;
  ctx.unlockedAt = deps.clock();
  try {
    if (ctx.job.phase === "draining") await runStep(ctx, "draining");
    // Before `done` is persisted: a run that stops here leaves the job at `draining`, and the
    // next run's drain finds nothing more to record.
    await Promise.all(ctx.afterUnlock.map((record) => record()));
    if (ctx.job.phase === "draining") await advance(ctx, "draining", "done");
    await runStep(ctx, "done");
  } catch (err) {
    return stopped(deps, ctx.job, err);
  }
  // Edges that skipped the fast path for the locked sources re-check now (the drain told them
  // already when it cleared the children's flags).
  if (!ctx.flagsAnnounced) await announceRoutes(deps, ctx.job.streamId, ctx.job.childIds);
  return result(ctx.job, deps.clock());
}
