import { checkWindow, copyEtaSeconds, copyOverrun, CopyPacer, ETA_MIN_CHUNKS, sleep, smoothRate, type WindowCheck } from "@shardcast/core";
import { fenceForChange, maxStreamSeq, moveMigration, rangeTotals, SHADOW_FENCE_STATE, updateMigrationProgress } from "@shardcast/db";
import { checkAborted } from "../domain/abort.ts";
import { afterPhase, afterStep, cancelRequested, migrationEpochs, NEXT, note, paused, withHostRetry, type MigrationContext, type StepOutcome } from "./context.ts";
import { copyRows, type DestFence } from "./copy.ts";
import { destination } from "./destination.ts";
import { drainRangeInto } from "./drain-range.ts";

/**
 * The phases before the switch: starting the copy (approved/scheduled -> copying, copy-start.ts),
 * the chunked, throttled copy (here, with the window and fences all three share), and
 * verification (verify-phase.ts). Until the switch the source stays authoritative: a cancel or a
 * failure only has to clean the destination.
 */

/** Where the migration's own window stands now. */
export function windowNow(ctx: MigrationContext): WindowCheck {
  return checkWindow(ctx.deps.clock(), { start: ctx.m.windowStart?.getTime() ?? null, end: ctx.m.windowEnd?.getTime() ?? null });
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

/** A copy that, at its measured rate, would still be copying when its window closes stops now. */
function overrunsWindow(ctx: MigrationContext, now: number): StepOutcome | null {
  const { m, settings } = ctx;
  // The pacer holds the copy to the budget on average, whatever a fast first chunk measured.
  const rate = settings.rowsPerSecond > 0 ? Math.min(m.copyRate, settings.rowsPerSecond) : m.copyRate;
  const over = copyOverrun({ now, windowEnd: m.windowEnd?.getTime() ?? null, rowsTotal: m.rowsTotal, rowsCopied: m.rowsCopied, rowsPerSecond: rate });
  if (!over) return null;
  return {
    kind: "abort",
    to: "failed",
    why:
      `stopped before the migration window closes: at ${Math.round(rate)} rows/s the ${Math.max(0, m.rowsTotal - m.rowsCopied)} rows left need about ` +
      `${over.etaSec} s and the window has ${over.leftSec} s left (schedule it with a longer window or a higher copy budget)`,
  };
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
    withHostRetry(ctx, "destination fence", () => destination(ctx).getFence(m.shardletId)),
    withHostRetry(ctx, "source fence", () => ctx.source.getFence(m.shardletId)),
  ]);
  if (dest?.epoch !== epochs.copy || dest.state !== SHADOW_FENCE_STATE) {
    await withHostRetry(ctx, "destination fence", () => destination(ctx).setFence(m.shardletId, range.streamId, epochs.copy, SHADOW_FENCE_STATE, range));
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
 * The chunked copy of (copy cursor, target] through `fence`, within the rows/s budget: after each
 * chunk the cursor, the rows copied and the rate are persisted (the console's progress and ETA),
 * and the copy stops early for a cancel (seen in `ctx.m.cancelRequested`) or a closed window
 * (`stop`). The copying phase of a move and of a history copy.
 */
export async function copyPaced(ctx: MigrationContext, target: number, fence: DestFence): Promise<{ started: number; chunks: number; stop: StepOutcome | null }> {
  const { deps, settings } = ctx;
  const started = deps.clock();
  const pacer = new CopyPacer(settings.rowsPerSecond, started);
  let chunks = 0;
  let stop: StepOutcome | null = null;
  let last = started;
  if (ctx.m.copyCursor < target) {
    await copyRows(ctx, {
      afterSeq: ctx.m.copyCursor,
      upToSeq: target,
      fence,
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
        stop = outsideWindow(ctx, windowNow(ctx)) ?? (chunks >= ETA_MIN_CHUNKS ? overrunsWindow(ctx, now) : null);
        if (stop) return "stop";
        await sleep(pacer.add(chunk.rows, deps.clock()), ctx.signal);
      },
    });
  }
  return { started, chunks, stop };
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
    // The events the start's lock sent to the overflow log go into the source first, so the copy
    // carries them: left in the log until the switch, an event resent after the lock (which the
    // fast path stores, as it does not look in the log) would be stored twice, and the switch's
    // drain would then empty the log copy's position, which readers had seen.
    await drainRangeInto(ctx, ctx.m.sourceHostId, migrationEpochs(ctx.m).copy);
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
  const { started, chunks, stop } = await copyPaced(ctx, target, copyFence(ctx));
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
