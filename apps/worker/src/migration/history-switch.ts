import { ShardcastError } from "@shardcast/core";
import {
  dropShardletStats,
  getShardletWithHome,
  latestLeftoverMark,
  rangeTotals,
  setShardletTotals,
  SHADOW_FENCE_STATE,
  shardletTotals,
  switchHistoryMapping,
} from "@shardcast/db";
import { afterPhase, afterStep, announce, migrationEpochs, NEXT, note, withHostRetry, type LostDestination, type MigrationContext, type StepOutcome } from "./context.ts";
import { destination, orUnreachable, probeDestination, withDestination } from "./destination.ts";
import { deleteRange, leaveDestination, runCleanup } from "./finish.ts";
import { historyFence, staleHistoryProblem } from "./history-guard.ts";
import { sharedDatabase } from "./same-database.ts";
import { verifyAndRepair } from "./verify.ts";

/**
 * The end of a history copy (see history-copy.ts): the switch, the cleanup, and the give-up, which
 * cleans the destination only.
 */

/** The range's events and bytes on both hosts, compared once more (a full verification again when they differ). */
async function finalCount(ctx: MigrationContext): Promise<{ rows: number; fullCheck: boolean }> {
  const count = () =>
    Promise.all([
      withHostRetry(ctx, "range count (source)", () => rangeTotals(ctx.source, [ctx.range])),
      withHostRetry(ctx, "range count (destination)", () => rangeTotals(destination(ctx), [ctx.range])),
    ]);
  const [[src], [dst]] = await count();
  if (src?.events === dst?.events && src?.bytes === dst?.bytes) return { rows: src?.events ?? 0, fullCheck: false };
  await note(ctx, {
    level: "warn",
    message: `Counts differ at the switch (${src?.events ?? 0} rows on the source, ${dst?.events ?? 0} on the destination): verifying the whole range again`,
  });
  await verifyAndRepair(ctx, { afterSeq: 0, upToSeq: ctx.m.copyTarget ?? 0, fence: historyFence(ctx) });
  return { rows: src?.events ?? 0, fullCheck: true };
}

/**
 * The fences after the mapping switched: the destination's becomes `sealed` at the switch epoch
 * (it was `shadow` at the copy epoch; retention may have retired it there since, which is left
 * alone), the source's `retired` (while it still has one: the cleanup drops it). Idempotent.
 */
async function fencesAfterSwitch(ctx: MigrationContext): Promise<void> {
  const { m, range } = ctx;
  const switched = migrationEpochs(m).switched;
  const [dest, source] = await Promise.all([
    withHostRetry(ctx, "destination fence", () => destination(ctx).getFence(m.shardletId)),
    withHostRetry(ctx, "source fence", () => ctx.source.getFence(m.shardletId)),
  ]);
  if (!dest || dest.state === SHADOW_FENCE_STATE) {
    await withHostRetry(ctx, "destination fence", () => destination(ctx).setFence(m.shardletId, range.streamId, switched, "sealed", range));
  }
  if (source && source.state !== "retired") {
    await withHostRetry(ctx, "source fence", () => ctx.source.setFence(m.shardletId, range.streamId, switched, "retired"));
  }
}

/**
 * switching: a last count of the range on both hosts; the destination takes over the source's
 * accounting of the shardlet; the control database re-points it (host = destination, epoch + 1,
 * one transaction with the phase) and the edges are told, so readers read its history there; then
 * its fence is sealed on the destination and retired on the source. Before the mapping switch the
 * destination's fence stays at the copy epoch, so a give-up (which leaves an unreachable
 * destination's copy to the leftover sweep, up to that epoch) stays below a later copy's fences.
 */
export async function switchHistory(ctx: MigrationContext): Promise<StepOutcome> {
  const { deps, m } = ctx;
  const epochs = migrationEpochs(m);
  const started = deps.clock();
  const counted = await finalCount(ctx);
  await afterStep(ctx, "switch.tail");
  const t = await withHostRetry(ctx, "source totals", () => shardletTotals(ctx.source, m.shardletId));
  await withHostRetry(ctx, "destination totals", () => setShardletTotals(destination(ctx), m.shardletId, t));
  await afterStep(ctx, "switch.dest-active");
  try {
    await switchHistoryMapping(
      deps.db,
      { id: m.id, shardletId: m.shardletId, sourceHostId: m.sourceHostId, destHostId: m.destHostId, fromEpoch: epochs.copy, toEpoch: epochs.switched, sizeBytes: t.bytes, eventCount: t.events },
      {
        message: `Switched: the sealed shardlet is on the destination at epoch ${epochs.switched}, readers read its history there; the source keeps its rows for the cleanup grace period`,
        details: { epoch: epochs.switched, rows: t.events, bytes: t.bytes, counted: counted.rows, fullCheck: counted.fullCheck, history: true },
      },
    );
  } catch (err) {
    if (!(err instanceof ShardcastError && err.code === "conflict")) throw err;
    // Retention retired it, or something else moved it, since the phase's checks: give up before the switch.
    const stale = staleHistoryProblem(m, await getShardletWithHome(deps.db, m.shardletId), true);
    if (stale) return { kind: "abort", to: "failed", why: `stopped at the switch: ${stale}` };
    throw err;
  }
  ctx.m.phase = "cleanup";
  await afterStep(ctx, "switch.mapped");
  await announce(ctx);
  await fencesAfterSwitch(ctx);
  await afterStep(ctx, "switch.source-fenced");
  await note(
    ctx,
    {
      message: `Switch took ${deps.clock() - started} ms (no lock: the sealed shardlet takes no writes); ${counted.rows} rows on both hosts`,
      details: { switchMs: deps.clock() - started, rows: counted.rows, fullCheck: counted.fullCheck },
    },
    "cleanup",
  );
  await afterPhase(ctx, "cleanup");
  return NEXT;
}

/**
 * cleanup: the fences as the switch leaves them (a run that stopped right after the mapping
 * switch), then the mover's cleanup: after the grace period the source's rows of the range at or
 * below the target, its fence and its totals are deleted.
 */
export async function cleanupHistory(ctx: MigrationContext): Promise<StepOutcome> {
  if (ctx.m.copyTarget === null) throw new ShardcastError("internal", `history copy ${ctx.m.id} reached cleanup without a copy target`);
  await fencesAfterSwitch(ctx);
  return runCleanup(ctx, { history: { upToSeq: ctx.m.copyTarget } });
}

/**
 * Undo before the switch (cancel, a stale shardlet, a give-up): the source was never changed (its
 * fence stays `sealed`, its rows stay), so only the destination is cleaned: its fence, its rows of
 * the range at or below the target (the copy's: a shardlet that came to the host since writes above
 * it), its totals. A destination that does not answer, or is the source's own database, keeps
 * them (left to the leftover sweep, as the mover's copies are). Returns what was done, for the log.
 */
export async function rollBackHistory(ctx: MigrationContext, known?: LostDestination): Promise<string> {
  const { m } = ctx;
  if (m.phase === "approved" || m.phase === "scheduled" || m.phase === "proposed") return "nothing had been copied";
  const now = await getShardletWithHome(ctx.deps.db, m.shardletId);
  const kept = now?.state === "sealed" ? "the sealed shardlet stays on the source with its history" : "the source's rows are left to retention";
  const epoch = migrationEpochs(m).copy;
  const lost = known ? known.problem : await probeDestination(ctx);
  if (lost) return `${await leaveDestination(ctx, lost, epoch, m.phase, known?.hostName)}; ${kept}`;
  if (await sharedDatabase(ctx)) return `nothing was deleted (the source and destination are one database); ${kept}`;
  const target = m.copyTarget;
  const cleaned = await orUnreachable(ctx, async () => {
    await withDestination(ctx, "destination fence", (d) => d.deleteFences([m.shardletId]));
    await afterStep(ctx, "cancel.dest-fence");
    const removed = target === null ? 0 : await deleteRange(ctx, "destination", undefined, target);
    await withDestination(ctx, "destination totals", (d) => dropShardletStats(d, m.shardletId));
    await afterStep(ctx, "cancel.rows");
    return removed;
  });
  if (typeof cleaned !== "number") return `${await leaveDestination(ctx, cleaned, epoch)}; ${kept}`;
  if ((await latestLeftoverMark(ctx.deps.db, m.id)) === "pending") {
    // An earlier run left the copy to the sweep and stopped before the end: the sweep must not remove the range again.
    await note(ctx, { message: `Destination cleaned: the partial copy an earlier run left there was removed (${cleaned} rows)`, details: { leftover: "cleaned", hostId: m.destHostId, removed: cleaned } });
  }
  return `the destination was cleaned (${cleaned} rows removed this run); ${kept}`;
}
