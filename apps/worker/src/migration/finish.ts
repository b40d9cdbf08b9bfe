import { CopyPacer, ShardcastError, sleep } from "@shardcast/core";
import {
  appendMigrationEvent,
  deleteRangeRows,
  dropShardletStats,
  fenceForChange,
  getHostStatus,
  getShardletPlacement,
  latestLeftoverMark,
  migrationPhaseEnteredAt,
} from "@shardcast/db";
import { checkAborted } from "../domain/abort.ts";
import { afterStep, announce, migrationEpochs, note, paused, reload, withHostRetry, type MigrationContext, type StepOutcome } from "./context.ts";
import type { DestinationProblem, LostDestination } from "./context.ts";
import { orUnreachable, probeDestination, withDestination } from "./destination.ts";
import { leftoverMark, removeEndedCopy } from "./leftover.ts";
import { sharedDatabase } from "./same-database.ts";
import { drainRangeInto } from "./drain-range.ts";
import { drainIntoDestination } from "./switch.ts";

const DEFAULT_MAX_INLINE_WAIT_MS = 60_000;

/**
 * Deletes a host's rows of the range chunk by chunk within the cleanup budget; returns how many.
 * With `toSeq`, only those at or below it (a history copy's rows: see history-copy.ts).
 */
export async function deleteRange(
  ctx: MigrationContext,
  which: "source" | "destination",
  onChunk?: (deleted: number) => Promise<void>,
  toSeq?: number,
): Promise<number> {
  const pacer = new CopyPacer(ctx.settings.cleanupRowsPerSecond, ctx.deps.clock());
  const chunk = { ...ctx.range, limit: ctx.settings.cleanupChunkRows, ...(toSeq !== undefined ? { toSeq } : {}) };
  let deleted = 0;
  for (;;) {
    checkAborted(ctx.signal);
    const n =
      which === "source"
        ? await withHostRetry(ctx, "source delete", () => deleteRangeRows(ctx.source, chunk))
        : await withDestination(ctx, "destination delete", (d) => deleteRangeRows(d, chunk));
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
 *
 * A history copy (`history`) has no overflow rows (its sealed shardlet takes no writes, and the
 * log of its range is its successor's), and deletes only the source's rows at or below
 * `upToSeq`, the highest position its sealed range held: a range handed back to the source since
 * stores its new rows above it.
 */
export async function runCleanup(ctx: MigrationContext, opts: { history?: { upToSeq: number } } = {}): Promise<StepOutcome> {
  const { deps, m, settings } = ctx;
  const history = opts.history;
  const drain = (): Promise<number> => (history ? Promise.resolve(0) : drainIntoDestination(ctx));
  // A run that stopped right after the mapping switch may not have told the edges or drained.
  await announce(ctx);
  let drained = await drain();
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
  const deleted = await deleteRange(
    ctx,
    "source",
    async (sofar) => {
      if (++chunks % settings.progressEveryChunks === 0) await note(ctx, { message: `Deleted ${sofar} rows of the range from the source`, details: { deleted: sofar } });
    },
    history?.upToSeq,
  );
  await afterStep(ctx, "cleanup.rows");
  await withHostRetry(ctx, "source fence", () => ctx.source.deleteFences([m.shardletId]));
  await withHostRetry(ctx, "source totals", () => dropShardletStats(ctx.source, m.shardletId));
  // Archive batches of the range stay on the source until no row there needs them.
  await withHostRetry(ctx, "source archive", () => ctx.source.sweepArchive(ctx.range.streamId));
  await afterStep(ctx, "cleanup.fence");
  drained += await drain();
  const seconds = Math.round((deps.clock() - (m.startedAt?.getTime() ?? m.createdAt.getTime())) / 100) / 10;
  return {
    kind: "done",
    message: history
      ? `Done: ${m.rowsCopied} rows of sealed history copied, source cleaned (${deleted} rows deleted this run); ${seconds} s since the copy started`
      : `Done: ${m.rowsCopied} rows copied, source cleaned (${deleted} rows deleted this run), ${drained} overflow rows drained; ${seconds} s since the copy started`,
  };
}

/** The destination's fence, rows and totals of the range removed (each step bounded), or why it could not be reached. */
async function cleanDestination(ctx: MigrationContext): Promise<number | DestinationProblem> {
  const id = ctx.m.shardletId;
  return orUnreachable(ctx, async () => {
    await withDestination(ctx, "destination fence", (d) => d.deleteFences([id]));
    await afterStep(ctx, "cancel.dest-fence");
    const removed = await deleteRange(ctx, "destination");
    await withDestination(ctx, "destination totals", (d) => dropShardletStats(d, id));
    await afterStep(ctx, "cancel.rows");
    return removed;
  });
}

/**
 * Logs that the destination's partial copy stays there, for the leftover sweep; returns the summary.
 * A destination gone for good is not left to the sweep, which could never reach it.
 */
export async function leaveDestination(ctx: MigrationContext, problem: DestinationProblem, epoch: number, phase = ctx.m.phase, hostName?: string): Promise<string> {
  const name = hostName ?? (await getHostStatus(ctx.deps.db, ctx.m.destHostId))?.name ?? ctx.m.destHostId;
  if (problem.permanent) {
    await note(
      ctx,
      { level: "warn", message: `Destination not cleaned, and no longer tried: the host ${name} ${problem.reason}`, details: { leftover: "skipped", hostId: ctx.m.destHostId } },
      phase,
    );
    return "the source left authoritative (the destination could not be cleaned: it is gone for good)";
  }
  await note(
    ctx,
    { level: "warn", message: `Destination not cleaned: the host ${name} ${problem.reason}; its partial copy is removed once it answers again`, details: leftoverMark(ctx, epoch) },
    phase,
  );
  return "the source left authoritative (the destination could not be cleaned: its partial copy is removed once it answers again)";
}

/**
 * Undo before the switch (cancel, or a migration given up): the source is authoritative
 * throughout, so only the destination is cleaned. It is asked first, within a bound: one that does
 * not answer cannot tell whether it is the source's database either, so nothing is deleted and
 * its partial copy is left for later. Its fence goes first (waits for shadow writes and copy chunks
 * in flight; later ones store nothing), then its rows of the range and its totals. The source's
 * fence is (re)set to the copy epoch, which the control database already routes with, and events
 * that reached the overflow log while the shardlet was locked are drained into it. The shardlet
 * keeps the raised epoch: epochs never go down. `known`: the destination was just found lost, so
 * it is not asked again. Returns what was done, for the log.
 */
export async function rollBack(ctx: MigrationContext, known?: LostDestination): Promise<string> {
  const { m, range } = ctx;
  if (m.phase === "approved" || m.phase === "scheduled" || m.phase === "proposed") return "nothing had been copied";
  const epochs = migrationEpochs(m);
  const lost = known ? known.problem : await probeDestination(ctx);
  let undone: string;
  if (lost || (await sharedDatabase(ctx))) {
    // One database, or a destination that cannot say (it may be the source's database under a DSN
    // that no longer works): the "destination's" fence row, rows and totals may be the source's, so
    // none is removed; the one fence (the shadow fence may have overwritten it) goes back to active.
    await withHostRetry(ctx, "source fence", () => ctx.source.setFence(m.shardletId, range.streamId, epochs.copy, "active", range));
    undone = lost
      ? await leaveDestination(ctx, lost, epochs.copy, m.phase, known?.hostName)
      : "nothing was deleted (the source and destination are one database) and the source left authoritative";
  } else {
    await withHostRetry(ctx, "source fence", () => fenceForChange(ctx.source, [m.shardletId], "active", new Map([[m.shardletId, epochs.copy]])));
    const cleaned = await cleanDestination(ctx);
    if (typeof cleaned === "number" && (await latestLeftoverMark(ctx.deps.db, m.id)) === "pending") {
      // An earlier run left the copy to the sweep and stopped before the end: the sweep must not remove the range again.
      await note(ctx, { message: `Destination cleaned: the partial copy an earlier run left there was removed (${cleaned} rows)`, details: { leftover: "cleaned", hostId: m.destHostId, removed: cleaned } });
    }
    undone =
      typeof cleaned === "number"
        ? `the destination was cleaned (${cleaned} rows removed this run) and the source left authoritative`
        : await leaveDestination(ctx, cleaned, epochs.copy);
  }
  const drained = await drainRangeInto(ctx, m.sourceHostId, epochs.copy);
  return `${undone}${drained > 0 ? ` (${drained} overflow rows drained into it)` : ""}`;
}

/**
 * Undo from `switching`, before the mapping switched (the destination is gone, unreachable while
 * the source is frozen, or holds one of the range's event ids for another event). As before the
 * switch, the source holds every acknowledged event: the writes it refused since its fence moved
 * went to the overflow log. To be called under the shardlet's op-lock (no switch can run): the
 * migration must still be switching with the shardlet on the source at the copy epoch. The
 * source's fence reopens at the switch epoch, which the caller's end gives the shardlet in the
 * control database in the same transaction as the phase: epochs never go down, and the fences this
 * migration left on the destination stay below every later migration's.
 */
export async function reopenSource(ctx: MigrationContext): Promise<void> {
  const { deps, range } = ctx;
  const epochs = migrationEpochs(ctx.m);
  const [m, s] = await Promise.all([reload(ctx), getShardletPlacement(deps.db, ctx.m.shardletId)]);
  if (m.phase !== "switching" || s?.hostId !== m.sourceHostId || s.epoch !== epochs.copy || s.state !== "active") {
    throw new ShardcastError(
      "conflict",
      `migration ${m.id} cannot be undone from the switch: it is ${m.phase}, the shardlet ${s ? `${s.state} on host ${s.hostId} at epoch ${s.epoch}` : "gone"}`,
    );
  }
  await withHostRetry(ctx, "source fence", () => ctx.source.setFence(m.shardletId, range.streamId, epochs.switched, "active", range));
}

/**
 * After a switch was undone and the migration ended: the overflow drained into the source, the
 * destination's copy removed as the leftover sweep removes it (see removeEndedCopy), or left to it.
 */
export async function afterSwitchUndone(ctx: MigrationContext): Promise<string> {
  const { m } = ctx;
  const epochs = migrationEpochs(m);
  const drained = await drainRangeInto(ctx, m.sourceHostId, epochs.switched);
  const cleaned = await removeEndedCopy(ctx, epochs.switched);
  if (typeof cleaned === "string") {
    // The end's line marks the copy for the sweep, which must not remove the source's fence either.
    await appendMigrationEvent(ctx.deps.db, {
      migrationId: m.id,
      phase: "failed",
      level: "error",
      message: `Destination not cleaned, and no longer tried: ${cleaned}`,
      details: { leftover: "skipped", hostId: m.destHostId },
    });
    return `destination not cleaned (one database), ${drained} overflow rows drained into the source`;
  }
  if (typeof cleaned !== "number") return leaveDestination(ctx, cleaned, epochs.switched, "failed");
  await appendMigrationEvent(ctx.deps.db, {
    migrationId: m.id,
    phase: "failed",
    message: `Destination cleaned: ${cleaned} rows removed; ${drained} overflow rows drained into the source`,
    details: { leftover: "cleaned", removed: cleaned, drained },
  });
  return `destination cleaned, ${drained} overflow rows drained into the source`;
}
