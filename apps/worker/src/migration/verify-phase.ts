import { ShardcastError } from "@shardcast/core";
import { maxStreamSeq, moveMigration, updateMigrationProgress } from "@shardcast/db";
import { afterPhase, afterStep, cancelRequested, NEXT, note, withHostRetry, type MigrationContext, type StepOutcome } from "./context.ts";
import { copyFence, ensureCopyFences, outsideWindow, windowNow } from "./copy-phases.ts";
import { verifyAndRepair } from "./verify.ts";

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
    // What is verified, not what was copied: the copy target may lie above the watermark (writes
    // in flight elsewhere), and the switch checks only the rows above this cursor, so a cursor
    // raised to the target would leave the rows between unchecked before cleanup deletes the source's.
    const cursor = upTo;
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
