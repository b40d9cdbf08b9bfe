import { CopyPacer } from "@shardcast/core";
import { deleteRangeRows, dropShardletStats, fenceForChange, migrationPhaseEnteredAt } from "@shardcast/db";
import { checkAborted } from "../domain/abort.ts";
import { afterStep, announce, migrationEpochs, note, paused, sleep, withHostRetry, type MigrationContext, type StepOutcome } from "./context.ts";
import { sharedDatabase } from "./same-database.ts";
import { drainRangeInto } from "./drain-range.ts";
import { drainIntoDestination } from "./switch.ts";

const DEFAULT_MAX_INLINE_WAIT_MS = 60_000;

/** Deletes a host's rows of the range chunk by chunk within the cleanup budget; returns how many. */
async function deleteRange(ctx: MigrationContext, which: "source" | "destination", onChunk?: (deleted: number) => Promise<void>): Promise<number> {
  const driver = which === "source" ? ctx.source : ctx.dest;
  const pacer = new CopyPacer(ctx.settings.cleanupRowsPerSecond, ctx.deps.clock());
  let deleted = 0;
  for (;;) {
    checkAborted(ctx.signal);
    const n = await withHostRetry(ctx, `${which} delete`, () => deleteRangeRows(driver, { ...ctx.range, limit: ctx.settings.cleanupChunkRows }));
    if (n === 0) return deleted;
    deleted += n;
    await onChunk?.(deleted);
    await sleep(pacer.add(n, ctx.deps.clock()), ctx.signal);
  }
}

/**
 * cleanup: after the grace period (readers whose routes predate the switch still read the source;
 * those that know the shadow host read both), the source's rows of the range are deleted in chunks,
 * then its fence and totals. The overflow log of the range is drained into the destination first
 * and last (stragglers of edges that learned of the switch late). Ends the migration as done.
 */
export async function runCleanup(ctx: MigrationContext): Promise<StepOutcome> {
  const { deps, m, settings } = ctx;
  // A run that stopped right after the mapping switch may not have told the edges or drained.
  await announce(ctx);
  let drained = await drainIntoDestination(ctx);
  const shared = await sharedDatabase(ctx);
  if (shared) {
    // The source's rows, fence and totals are the destination's too: the cleanup would delete
    // the shardlet itself. The mapping already names the destination, so the move is complete.
    await note(ctx, { level: "error", message: `Cleanup skipped, nothing deleted: ${shared}` });
    return { kind: "done", message: `Done without cleanup (the source and destination are one database, so its rows stay); ${drained} overflow rows drained` };
  }
  const entered = (await migrationPhaseEnteredAt(deps.db, m.id, "cleanup"))?.getTime() ?? deps.clock();
  const due = entered + settings.cleanupGraceMs;
  const wait = due - deps.clock();
  if (wait > (deps.migration?.maxInlineWaitMs ?? DEFAULT_MAX_INLINE_WAIT_MS)) {
    return paused(due, `keeping the source's rows for readers with older routes until ${new Date(due).toISOString()}`);
  }
  await sleep(wait, ctx.signal);
  let chunks = 0;
  const deleted = await deleteRange(ctx, "source", async (sofar) => {
    if (++chunks % settings.progressEveryChunks === 0) await note(ctx, { message: `Deleted ${sofar} rows of the range from the source`, details: { deleted: sofar } });
  });
  await afterStep(ctx, "cleanup.rows");
  await withHostRetry(ctx, "source fence", () => ctx.source.deleteFences([m.shardletId]));
  await withHostRetry(ctx, "source totals", () => dropShardletStats(ctx.source, m.shardletId));
  // Archive batches of the range stay on the source until no row there needs them.
  await withHostRetry(ctx, "source archive", () => ctx.source.sweepArchive(ctx.range.streamId));
  await afterStep(ctx, "cleanup.fence");
  drained += await drainIntoDestination(ctx);
  const seconds = Math.round((deps.clock() - (m.startedAt?.getTime() ?? m.createdAt.getTime())) / 100) / 10;
  return {
    kind: "done",
    message: `Done: ${m.rowsCopied} rows copied, source cleaned (${deleted} rows deleted this run), ${drained} overflow rows drained; ${seconds} s since the copy started`,
  };
}

/**
 * Undo before the switch (cancel, or a migration given up): the source is authoritative
 * throughout, so only the destination is cleaned. Its fence goes first (waits for shadow writes and
 * copy chunks in flight; later ones store nothing), then its rows of the range and its totals. The
 * source's fence is (re)set to the copy epoch, which the control database already routes with, and
 * events that reached the overflow log while the shardlet was locked are drained into it. The
 * shardlet keeps the raised epoch: epochs never go down. Returns what was done, for the log.
 */
export async function rollBack(ctx: MigrationContext): Promise<string> {
  const { m, range } = ctx;
  if (m.phase === "approved" || m.phase === "scheduled" || m.phase === "proposed") return "nothing had been copied";
  const epochs = migrationEpochs(m);
  let undone: string;
  if (await sharedDatabase(ctx)) {
    // One database: the "destination's" fence row, rows and totals are the source's, so none is
    // removed; the one fence (the shadow fence may have overwritten it) goes back to active.
    await withHostRetry(ctx, "source fence", () => ctx.source.setFence(m.shardletId, range.streamId, epochs.copy, "active", range));
    undone = "nothing was deleted (the source and destination are one database) and the source left authoritative";
  } else {
    await withHostRetry(ctx, "source fence", () => fenceForChange(ctx.source, [m.shardletId], "active", new Map([[m.shardletId, epochs.copy]])));
    await withHostRetry(ctx, "destination fence", () => ctx.dest.deleteFences([m.shardletId]));
    await afterStep(ctx, "cancel.dest-fence");
    const removed = await deleteRange(ctx, "destination");
    await withHostRetry(ctx, "destination totals", () => dropShardletStats(ctx.dest, m.shardletId));
    await afterStep(ctx, "cancel.rows");
    undone = `the destination was cleaned (${removed} rows removed this run) and the source left authoritative`;
  }
  const drained = await drainRangeInto(ctx, m.sourceHostId, epochs.copy);
  return `${undone}${drained > 0 ? ` (${drained} overflow rows drained into it)` : ""}`;
}
