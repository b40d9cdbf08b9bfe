import { ShardcastError } from "@shardcast/core";
import {
  getHostStatus,
  getShardletWithHome,
  maxRangeSeq,
  moveMigration,
  rangeTotals,
  SHADOW_FENCE_STATE,
  startHistoryCopy,
  updateMigrationProgress,
} from "@shardcast/db";
import { checkAborted } from "../domain/abort.ts";
import { afterPhase, afterStep, cancelRequested, migrationEpochs, NEXT, note, reload, withHostRetry, type MigrationContext, type StepOutcome } from "./context.ts";
import { copyPaced, outsideWindow, windowNow } from "./copy-phases.ts";
import { destination } from "./destination.ts";
import { historyFence, overlapProblem, staleHistoryProblem, type SealedNow } from "./history-guard.ts";
import { cleanupHistory, switchHistory } from "./history-switch.ts";
import { refusedOneDatabase, sharedDatabase } from "./same-database.ts";
import { verifyAndRepair } from "./verify.ts";

/**
 * A history copy: a migration in mode `copy` whose shardlet is sealed (a hand-off left it, with its
 * rows, where they were written; readers read that host as the range's history). Its rows move to
 * the destination and the sealed shardlet is re-pointed there, through the mover's phases:
 *
 *   approved/scheduled -> copying -> verifying -> switching -> cleanup -> done
 *
 * A sealed shardlet takes no writes, so there are no shadow writes and no overflow rows: the start
 * raises its epoch and fences the destination (`shadow` at the copy epoch: copy chunks pass it,
 * nothing else); the copy walks the range's rows on the source up to the highest position it holds
 * (the target), chunk by chunk at the copy rate, persisting its progress; verification compares
 * counts and checksums of the range per position range on both hosts up to the target and re-copies
 * what differs; the switch counts both sides once more, gives the destination the source's
 * accounting, re-points the sealed shardlet in the control database (one transaction with the
 * phase), tells the edges (the routes' history hosts change), seals its fence on the destination
 * and retires it on the source; the cleanup deletes the source's rows of the range (at or below the
 * target) after the grace period, as the mover's cleanup does. Every step is idempotent, so a run
 * that stops anywhere is finished by the next. Until the switch the source is untouched: a cancel,
 * a stale shardlet (retention retired it, or it moved) or a give-up cleans the destination only.
 *
 * Hook points it passes (see MIGRATION_STEPS): start.control, copy.fences, copy.chunk,
 * verify.round, switch.tail (the last count), switch.dest-active (the destination's totals),
 * switch.mapped, switch.source-fenced (destination sealed, source retired), cleanup.rows,
 * cleanup.fence, and on a give-up cancel.dest-fence and cancel.rows.
 */

async function sealedNow(ctx: MigrationContext): Promise<SealedNow | null> {
  return getShardletWithHome(ctx.deps.db, ctx.m.shardletId);
}

/** The phase's stale-shardlet and overlap checks (an abort: the destination is cleaned), or null. */
async function stillValid(ctx: MigrationContext): Promise<StepOutcome | null> {
  const stale = staleHistoryProblem(ctx.m, await sealedNow(ctx), true);
  if (stale) return { kind: "abort", to: "failed", why: `stopped: ${stale}` };
  const overlap = await overlapProblem(ctx);
  if (overlap) return { kind: "abort", to: "failed", why: overlap };
  return null;
}

/**
 * The destination's fence at the copy epoch in state `shadow` (copy chunks and repairs pass it),
 * idempotent; read first, so a fence already in place is not written again.
 */
async function ensureHistoryFence(ctx: MigrationContext): Promise<void> {
  const { m, range } = ctx;
  const copy = migrationEpochs(m).copy;
  const f = await withHostRetry(ctx, "destination fence", () => destination(ctx).getFence(m.shardletId));
  if (f?.epoch !== copy || f.state !== SHADOW_FENCE_STATE) {
    await withHostRetry(ctx, "destination fence", () => destination(ctx).setFence(m.shardletId, range.streamId, copy, SHADOW_FENCE_STATE, range));
  }
  await afterStep(ctx, "copy.fences");
}

/** approved / scheduled -> copying: the checks, then one control transaction (phase and epoch), then the destination's fence. */
async function startHistory(ctx: MigrationContext): Promise<StepOutcome> {
  const { deps, m } = ctx;
  if (m.cancelRequested) return { kind: "abort", to: "cancelled", why: "cancelled before the copy started" };
  const blocked = outsideWindow(ctx, windowNow(ctx));
  if (blocked) return blocked;
  const dest = await getHostStatus(deps.db, m.destHostId);
  if (!dest) return { kind: "abort", to: "failed", why: `the destination host ${m.destHostId} is not registered` };
  if (dest.status !== "active") return { kind: "abort", to: "failed", why: `the destination host ${dest.name} is ${dest.status}; moves go only to active hosts` };
  const shared = await sharedDatabase(ctx);
  if (shared) return refusedOneDatabase(shared);
  const s = await getShardletWithHome(deps.db, m.shardletId);
  const stale = staleHistoryProblem(m, s, false);
  if (stale || !s) return { kind: "abort", to: "failed", why: `not started: ${stale ?? "the shardlet no longer exists"}` };
  const overlap = await overlapProblem(ctx);
  if (overlap) return { kind: "abort", to: "failed", why: overlap };
  const fromEpoch = s.epoch;
  try {
    await startHistoryCopy(
      deps.db,
      { id: m.id, from: m.phase, shardletId: m.shardletId, sourceHostId: m.sourceHostId, fromEpoch, toEpoch: fromEpoch + 1 },
      {
        message: `History copy started: the sealed shardlet's rows go to host ${dest.name} at epoch ${fromEpoch + 1}; it takes no writes, so there are no shadow writes`,
        details: { epoch: fromEpoch + 1, lo: ctx.range.lo, hi: ctx.range.hi, history: true },
      },
    );
  } catch (err) {
    if (!(err instanceof ShardcastError && err.code === "conflict")) throw err;
    // A decision moved the migration meanwhile (a cancel before it started): go on from there.
    if ((await reload(ctx)).phase !== m.phase) return NEXT;
    const now = staleHistoryProblem(m, await sealedNow(ctx), false);
    if (now) return { kind: "abort", to: "failed", why: `not started: ${now}` };
    throw err;
  }
  ctx.m = { ...m, phase: "copying", shardletEpoch: fromEpoch, startedAt: new Date(deps.clock()), copyCursor: 0, copyTarget: null, rowsCopied: 0, rowsTotal: 0, copyRate: 0 };
  await afterStep(ctx, "start.control");
  await ensureHistoryFence(ctx);
  await afterPhase(ctx, "copying");
  return NEXT;
}

/**
 * copying: the target is the highest position the range holds on the source (the sealed shardlet
 * takes no writes, so nothing comes above it); then (cursor, target] is copied chunk by chunk at
 * the copy rate, with the progress persisted after each chunk.
 */
async function copyHistory(ctx: MigrationContext): Promise<StepOutcome> {
  const { deps, settings } = ctx;
  const stale = staleHistoryProblem(ctx.m, await sealedNow(ctx), true);
  if (stale) return { kind: "abort", to: "failed", why: `stopped: ${stale}` };
  await ensureHistoryFence(ctx);
  if (ctx.m.copyTarget === null) {
    const [target, [totals]] = await Promise.all([
      withHostRetry(ctx, "copy target", () => maxRangeSeq(ctx.source, ctx.range)),
      withHostRetry(ctx, "range count", () => rangeTotals(ctx.source, [ctx.range])),
    ]);
    await updateMigrationProgress(deps.db, ctx.m.id, { copyTarget: target, rowsTotal: totals?.events ?? 0 });
    ctx.m.copyTarget = target;
    ctx.m.rowsTotal = totals?.events ?? 0;
    await note(ctx, {
      message: `Copy target: sequence ${target}, ${ctx.m.rowsTotal} rows of sealed history in the range on the source; budget ${settings.rowsPerSecond > 0 ? `${settings.rowsPerSecond} rows/s` : "unlimited"}`,
      details: { copyTarget: target, rowsTotal: ctx.m.rowsTotal, rowsPerSecond: settings.rowsPerSecond },
    });
  }
  const target = ctx.m.copyTarget;
  const { started, chunks, stop } = await copyPaced(ctx, target, historyFence(ctx));
  if (ctx.m.cancelRequested) return NEXT;
  if (stop) return stop;
  checkAborted(ctx.signal);
  const seconds = Math.max(0.001, (deps.clock() - started) / 1000);
  await moveMigration(
    deps.db,
    ctx.m.id,
    "copying",
    "verifying",
    {
      message: `Copy done through sequence ${target}: ${ctx.m.rowsCopied} rows of sealed history copied`,
      details: { copyTarget: target, rowsCopied: ctx.m.rowsCopied, chunksThisRun: chunks, secondsThisRun: Math.round(seconds * 10) / 10 },
    },
    { copyCursor: target },
  );
  await afterPhase(ctx, "verifying");
  return NEXT;
}

/**
 * verifying: counts and checksums of the range per position range on both hosts, up to the target
 * (rows above it on the destination would not be the history's), re-copying what differs until it
 * matches. Nothing writes into a sealed range, so one pass settles it.
 */
async function verifyHistory(ctx: MigrationContext): Promise<StepOutcome> {
  const { deps } = ctx;
  const invalid = await stillValid(ctx);
  if (invalid) return invalid;
  await ensureHistoryFence(ctx);
  if (await cancelRequested(ctx)) return NEXT;
  const blocked = outsideWindow(ctx, windowNow(ctx));
  if (blocked) return blocked;
  const target = ctx.m.copyTarget ?? 0;
  const started = deps.clock();
  const r = await verifyAndRepair(ctx, { afterSeq: 0, upToSeq: target, fence: historyFence(ctx) });
  await note(ctx, {
    level: r.differing.length > 0 ? "warn" : "info",
    message:
      r.differing.length > 0
        ? `Verified sequences (0, ${target}]: ${r.differing.length} of ${r.ranges} ranges differed; re-copied them (${r.removed} destination rows replaced, ${r.inserted} rows written)`
        : `Verified sequences (0, ${target}]: ${r.rows} rows in ${r.ranges} ranges match (count and checksum)`,
    details: { afterSeq: 0, upToSeq: target, rows: r.rows, ranges: r.ranges, differing: r.differing.slice(0, 20), ms: deps.clock() - started },
  });
  await afterStep(ctx, "verify.round");
  if (await cancelRequested(ctx)) return NEXT;
  try {
    await moveMigration(
      deps.db,
      ctx.m.id,
      "verifying",
      "switching",
      { message: `Verified through sequence ${target}; switching`, details: { verifiedThrough: target, rows: r.rows } },
      { copyCursor: target, unlessCancelRequested: true },
    );
  } catch (err) {
    // A cancel that arrived after the last look wins: it is carried out by the next step.
    if (err instanceof ShardcastError && err.code === "conflict" && (await cancelRequested(ctx))) return NEXT;
    throw err;
  }
  ctx.m.copyCursor = target;
  await afterPhase(ctx, "switching");
  return NEXT;
}

/** The work of a history copy's current phase (the checks every phase before the switch shares ran in the machine's step). */
export async function runHistoryStep(ctx: MigrationContext): Promise<StepOutcome> {
  switch (ctx.m.phase) {
    case "approved":
    case "scheduled":
      return startHistory(ctx);
    case "copying":
      return copyHistory(ctx);
    case "verifying":
      return verifyHistory(ctx);
    case "switching": {
      const invalid = await stillValid(ctx);
      if (invalid) return invalid;
      return switchHistory(ctx);
    }
    case "cleanup":
      return cleanupHistory(ctx);
    default:
      throw new ShardcastError("internal", `migration ${ctx.m.id} has no work in phase ${ctx.m.phase}`);
  }
}
