import { checkWindow, CopyPacer, copyEtaSeconds, smoothRate, ShardcastError, type WindowCheck } from "@shardcast/core";
import {
  fenceForChange,
  findCleaningMigration,
  findUnfinishedLifecycleJob,
  getHostStatus,
  getShardletPlacement,
  maxStreamSeq,
  migrationPhaseEnteredAt,
  moveMigration,
  rangeTotals,
  SHADOW_FENCE_STATE,
  startMigrationCopy,
  updateMigrationProgress,
} from "@shardcast/db";
import { checkAborted } from "../domain/abort.ts";
import {
  afterPhase,
  afterStep,
  announce,
  cancelRequested,
  migrationEpochs,
  NEXT,
  note,
  paused,
  reload,
  sleep,
  withHostRetry,
  type MigrationContext,
  type StepOutcome,
} from "./context.ts";
import { copyRows, type DestFence } from "./copy.ts";
import { verifyAndRepair } from "./verify.ts";

/**
 * The phases before the switch: starting the copy (approved/scheduled -> copying), the chunked,
 * throttled copy, and verification. Until the switch the source stays authoritative: a cancel or a
 * failure only has to clean the destination.
 */

/** Where the migration's own window stands now. */
export function windowNow(ctx: MigrationContext): WindowCheck {
  return checkWindow(ctx.deps.clock(), { start: ctx.m.windowStart?.getTime() ?? null, end: ctx.m.windowEnd?.getTime() ?? null });
}

function lockRetryMs(ctx: MigrationContext): number {
  return ctx.deps.migration?.lockRetryMs ?? 2_000;
}

/** Outcome for a window that is not open: wait for it, or give up when it is over. */
export function outsideWindow(ctx: MigrationContext, w: WindowCheck): StepOutcome | null {
  if (w.state === "open") return null;
  if (w.state === "before") return paused(w.opensAt, `waiting for the migration window (opens ${new Date(w.opensAt).toISOString()})`);
  return {
    kind: "abort",
    to: "failed",
    why: `the migration window closed at ${new Date(w.closedAt).toISOString()} before the copy finished (schedule it again)`,
  };
}

/** Why the migration cannot run against the shardlet as it is now, or null when it can. */
export function staleProblem(
  m: { shardletEpoch: number; sourceHostId: string; destHostId: string },
  s: { state: string; epoch: number; hostId: string } | null,
): string | null {
  if (!s || s.state === "retired") return "the shardlet no longer exists (it was split or merged since the migration was proposed)";
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
 * (see ensureCopyFences). Overflow rows of the lock window stay in the log until the switch
 * drains them into the destination (the sweep leaves migrating shardlets alone).
 */
export async function startCopy(ctx: MigrationContext): Promise<StepOutcome> {
  const { deps, m } = ctx;
  if (m.cancelRequested) return { kind: "abort", to: "cancelled", why: "cancelled before the copy started" };
  const blocked = outsideWindow(ctx, windowNow(ctx));
  if (blocked) return blocked;
  const dest = await getHostStatus(deps.db, m.destHostId);
  if (!dest) return { kind: "abort", to: "failed", why: `the destination host ${m.destHostId} is not registered` };
  if (dest.status !== "active") return { kind: "abort", to: "failed", why: `the destination host ${dest.name} is ${dest.status}; moves go only to active hosts` };
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

/**
 * The fences of the copy, idempotent (run by every run of copying and verifying, so a crash
 * between the start's control write and these leaves nothing half done): the destination's fence
 * in state `shadow` at the copy epoch (shadow writes and copy chunks pass it, producer writes do
 * not), and the source's fence raised to the copy epoch. The raise waits for writes in flight and
 * rejects every later write made with the old epoch, i.e. by a writer that does not know the shadow
 * host yet; so every row the source takes from now on is also shadow-written.
 */
export async function ensureCopyFences(ctx: MigrationContext): Promise<void> {
  const { m, range } = ctx;
  const epochs = migrationEpochs(m);
  // Read first: a fence write locks the row, and writers skip a locked fence (their events are
  // refused or go to the overflow log), so fences already in place are not written again.
  const [dest, source] = await Promise.all([
    withHostRetry(ctx, "destination fence", () => ctx.dest.getFence(m.shardletId)),
    withHostRetry(ctx, "source fence", () => ctx.source.getFence(m.shardletId)),
  ]);
  if (dest?.epoch !== epochs.copy || dest.state !== SHADOW_FENCE_STATE) {
    await withHostRetry(ctx, "destination fence", () => ctx.dest.setFence(m.shardletId, range.streamId, epochs.copy, SHADOW_FENCE_STATE, range));
  }
  if (source?.epoch !== epochs.copy || source.state !== "active") {
    await withHostRetry(ctx, "source fence", () => fenceForChange(ctx.source, [m.shardletId], "active", new Map([[m.shardletId, epochs.copy]])));
  }
  await afterStep(ctx, "copy.fences");
}

export function copyFence(ctx: MigrationContext): DestFence {
  return { epoch: migrationEpochs(ctx.m).copy, states: [SHADOW_FENCE_STATE] };
}

/**
 * copying: everything the source held when the copy epoch was raised has a sequence at or below
 * the copy target (the source's highest sequence right after the raise); what it takes later is
 * shadow-written. So the copy walks (cursor, target] in chunks, persisting the cursor, the rows
 * copied and the rate after each, within the rows/s budget and the window, stopping for a cancel.
 */
export async function runCopy(ctx: MigrationContext): Promise<StepOutcome> {
  const { deps, settings } = ctx;
  await ensureCopyFences(ctx);
  if (ctx.m.copyTarget === null) {
    const [target, [totals]] = await Promise.all([
      withHostRetry(ctx, "copy target", () => maxStreamSeq(ctx.source, ctx.range.streamId)),
      withHostRetry(ctx, "range count", () => rangeTotals(ctx.source, [ctx.range])),
    ]);
    await updateMigrationProgress(deps.db, ctx.m.id, { copyTarget: target, rowsTotal: totals?.events ?? 0 });
    ctx.m.copyTarget = target;
    ctx.m.rowsTotal = totals?.events ?? 0;
    await note(ctx, {
      message: `Copy target: sequence ${target}, ${ctx.m.rowsTotal} rows in the range on the source; budget ${settings.rowsPerSecond > 0 ? `${settings.rowsPerSecond} rows/s` : "unlimited"}`,
      details: { copyTarget: target, rowsTotal: ctx.m.rowsTotal, rowsPerSecond: settings.rowsPerSecond },
    });
  }
  const target = ctx.m.copyTarget;
  const started = deps.clock();
  const pacer = new CopyPacer(settings.rowsPerSecond, started);
  let chunks = 0;
  let stop: StepOutcome | null = null;
  let last = started;
  if (ctx.m.copyCursor < target) {
    await copyRows(ctx, {
      afterSeq: ctx.m.copyCursor,
      upToSeq: target,
      fence: copyFence(ctx),
      chunkRows: settings.chunkRows,
      onChunk: async (chunk) => {
        chunks++;
        const now = deps.clock();
        const cursor = chunk.done ? target : chunk.lastSeq;
        ctx.m.copyCursor = cursor;
        ctx.m.rowsCopied += chunk.rows;
        ctx.m.copyRate = smoothRate(ctx.m.copyRate, (chunk.rows * 1000) / Math.max(1, now - last));
        last = now;
        await updateMigrationProgress(deps.db, ctx.m.id, { copyCursor: cursor, rowsCopied: ctx.m.rowsCopied, copyRate: ctx.m.copyRate, error: null });
        await afterStep(ctx, "copy.chunk");
        if (chunks % settings.progressEveryChunks === 0) {
          const eta = copyEtaSeconds(ctx.m.rowsTotal, ctx.m.rowsCopied, ctx.m.copyRate);
          await note(ctx, {
            message: `Copied ${ctx.m.rowsCopied} of ${ctx.m.rowsTotal} rows (${Math.round(ctx.m.copyRate)} rows/s${eta !== null ? `, about ${eta} s left` : ""})`,
            details: { rowsCopied: ctx.m.rowsCopied, rowsTotal: ctx.m.rowsTotal, copyCursor: cursor, copyRate: ctx.m.copyRate },
          });
        }
        if (chunk.done) return;
        if (await cancelRequested(ctx)) return "stop";
        stop = outsideWindow(ctx, windowNow(ctx));
        if (stop) return "stop";
        await sleep(pacer.add(chunk.rows, deps.clock()), ctx.signal);
      },
    });
  }
  if (ctx.m.cancelRequested) return NEXT;
  if (stop) return stop;
  checkAborted(ctx.signal);
  const seconds = Math.max(0.001, (deps.clock() - started) / 1000);
  await moveMigration(deps.db, ctx.m.id, "copying", "verifying", {
    message: `Copy done through sequence ${target}: ${ctx.m.rowsCopied} rows copied (the range held ${ctx.m.rowsTotal} when the copy started; shadow writes carry what came since)`,
    details: { copyTarget: target, rowsCopied: ctx.m.rowsCopied, chunksThisRun: chunks, secondsThisRun: Math.round(seconds * 10) / 10 },
  }, { copyCursor: target });
  await afterPhase(ctx, "verifying");
  return NEXT;
}

/**
 * verifying: rounds of count + checksum comparison per sequence range, each up to the read
 * watermark at its start (rows below it can no longer change), re-copying what differs. The first
 * round of a run covers everything from the start, later ones what arrived during the previous
 * round, until a round is clean and short: the switch then re-checks only that tail while the
 * shardlet is locked. The verified sequence is persisted as the copy cursor after each round.
 */
export async function runVerify(ctx: MigrationContext): Promise<StepOutcome> {
  const { deps, settings } = ctx;
  await ensureCopyFences(ctx);
  let from = 0;
  let clean = false;
  let rounds = 0;
  let rows = 0;
  for (let round = 1; round <= settings.maxVerifyRounds; round++) {
    if (await cancelRequested(ctx)) return NEXT;
    const blocked = outsideWindow(ctx, windowNow(ctx));
    if (blocked) return blocked;
    const upTo = await settledSeq(ctx);
    if (upTo <= from && round > 1) {
      clean = true;
      break;
    }
    const started = deps.clock();
    const r = await verifyAndRepair(ctx, { afterSeq: from, upToSeq: upTo, fence: copyFence(ctx) });
    rounds = round;
    rows = r.rows;
    const cursor = Math.max(ctx.m.copyCursor, upTo);
    await updateMigrationProgress(deps.db, ctx.m.id, { copyCursor: cursor, error: null });
    ctx.m.copyCursor = cursor;
    await note(ctx, {
      level: r.differing.length > 0 ? "warn" : "info",
      message:
        r.differing.length > 0
          ? `Verify round ${round}, sequences (${from}, ${upTo}]: ${r.differing.length} of ${r.ranges} ranges differed; re-copied them (${r.removed} destination rows replaced, ${r.inserted} rows written)`
          : `Verify round ${round}, sequences (${from}, ${upTo}]: ${r.rows} rows in ${r.ranges} ranges match (count and checksum)`,
      details: { round, afterSeq: from, upToSeq: upTo, rows: r.rows, ranges: r.ranges, differing: r.differing.slice(0, 20), ms: deps.clock() - started },
    });
    await afterStep(ctx, "verify.round");
    from = upTo;
    if (r.differing.length === 0 && r.rows <= settings.switchTailRows) {
      clean = true;
      break;
    }
  }
  if (await cancelRequested(ctx)) return NEXT;
  try {
    await moveVerifiedToSwitching(ctx, clean, rounds, rows);
  } catch (err) {
    // A cancel that arrived after the last look wins: it is carried out by the next step.
    if (err instanceof ShardcastError && err.code === "conflict" && (await cancelRequested(ctx))) return NEXT;
    throw err;
  }
  await afterPhase(ctx, "switching");
  return NEXT;
}

async function moveVerifiedToSwitching(ctx: MigrationContext, clean: boolean, rounds: number, rows: number): Promise<void> {
  await moveMigration(
    ctx.deps.db,
    ctx.m.id,
    "verifying",
    "switching",
    {
      message: clean
        ? `Verified through sequence ${ctx.m.copyCursor} in ${rounds} round(s); switching`
        : `Verified through sequence ${ctx.m.copyCursor}; still ${rows} new rows per round after ${rounds} rounds, switching anyway (the switch checks the tail)`,
      details: { verifiedThrough: ctx.m.copyCursor, rounds, lastRoundRows: rows },
    },
    { unlessCancelRequested: true },
  );
}

/**
 * The highest sequence verification may compare below: the stream's read watermark when the worker
 * has one (no write in flight can still add a row at or below it), else the source's highest
 * sequence now (late rows below it are caught by the switch's full count check).
 */
async function settledSeq(ctx: MigrationContext): Promise<number> {
  const watermark = ctx.deps.migration?.watermark;
  if (watermark) return watermark(ctx.range.streamId);
  return withHostRetry(ctx, "highest sequence", () => maxStreamSeq(ctx.source, ctx.range.streamId));
}
