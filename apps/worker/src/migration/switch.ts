import { ShardcastError } from "@shardcast/core";
import {
  fenceForChange,
  MOVED_FENCE_STATE,
  SHADOW_FENCE_STATE,
  rangeTotals,
  setShardletTotals,
  shardletTotals,
  switchMigrationMapping,
} from "@shardcast/db";
import {
  afterPhase,
  afterStep,
  announce,
  migrationEpochs,
  NEXT,
  note,
  paused,
  withHostRetry,
  type MigrationContext,
  type StepOutcome,
} from "./context.ts";
import type { DestFence } from "./copy.ts";
import { destination } from "./destination.ts";
import { drainRangeInto } from "./drain-range.ts";
import { verifyAndRepair } from "./verify.ts";


/** Timings of one switch (epoch ms from the worker's clock), recorded in the event log. */
interface SwitchTimes {
  locked: number;
  sourceFenced: number;
  tailChecked: number;
  mapped: number;
  announced: number;
}

/**
 * The destination's fence the tail is copied through: still `shadow` at the copy epoch, or, when a
 * run stopped after opening it and before the mapping switched, `active` at the switch epoch
 * (nothing writes at that epoch before the mapping names it).
 */
async function tailFence(ctx: MigrationContext): Promise<DestFence> {
  const epochs = migrationEpochs(ctx.m);
  const f = await withHostRetry(ctx, "destination fence", () => destination(ctx).getFence(ctx.m.shardletId));
  if (f?.epoch === epochs.switched && f.state === "active") return { epoch: epochs.switched, states: ["active"] };
  if (f?.epoch !== epochs.copy || f.state !== SHADOW_FENCE_STATE) {
    await withHostRetry(ctx, "destination fence", () => destination(ctx).setFence(ctx.m.shardletId, ctx.range.streamId, epochs.copy, SHADOW_FENCE_STATE, ctx.range));
  }
  return { epoch: epochs.copy, states: [SHADOW_FENCE_STATE] };
}

/** The overflow rows of the shardlet's range go into the destination at the switch epoch (see drainRangeInto). */
export function drainIntoDestination(ctx: MigrationContext): Promise<number> {
  return drainRangeInto(ctx, ctx.m.destHostId, migrationEpochs(ctx.m).switched);
}

/**
 * The source's and destination's copies of the range, made equal once the source is frozen: the
 * rows above the verified cursor are compared per sequence range and what differs is re-copied
 * (shadow writes normally carried them all). The destination may still take shadow writes in
 * flight, but only of rows the source committed before it froze (a shadow write follows its
 * source write), i.e. rows it must have anyway. Below the cursor the copies were verified under
 * the read watermark, which no later write can go below, and nothing else writes into a migrating
 * range; without a watermark that is not certain, so then the whole range is also counted on both
 * sides (an index range scan each) and verified in full should the counts differ.
 */
async function settleTail(ctx: MigrationContext): Promise<{ tailRows: number; repaired: number; fullCheck: boolean }> {
  const fence = await tailFence(ctx);
  const tail = await verifyAndRepair(ctx, { afterSeq: ctx.m.copyCursor, upToSeq: null, fence });
  let fullCheck = false;
  if (!ctx.deps.migration?.watermark) {
    const count = () =>
      Promise.all([
        withHostRetry(ctx, "range count (source)", () => rangeTotals(ctx.source, [ctx.range])),
        withHostRetry(ctx, "range count (destination)", () => rangeTotals(destination(ctx), [ctx.range])),
      ]);
    const [[src], [dst]] = await count();
    if (src?.events !== dst?.events || src?.bytes !== dst?.bytes) {
      fullCheck = true;
      await note(ctx, {
        level: "warn",
        message: `Counts differ below the verified sequence (${src?.events ?? 0} rows on the source, ${dst?.events ?? 0} on the destination): verifying the whole range`,
      });
      await verifyAndRepair(ctx, { afterSeq: 0, upToSeq: null, fence });
    }
  }
  return { tailRows: tail.rows, repaired: tail.differing.length, fullCheck };
}

/**
 * switching: reads already consult both hosts (the shadow host is on the route), so this switches
 * writes, under the shardlet's op-lock (edges send its events to the overflow log meanwhile, as for
 * a split): the source's fence goes to `moved` at the switch epoch (waits for writes in flight;
 * later ones are refused and re-routed), the tail above the verified cursor is compared and
 * re-copied where it differs, the destination's fence becomes `active` at the switch epoch with
 * the source's accounting (late shadow writes are refused from then on), the mapping switches in the
 * control database (host = destination, epoch + 1, one transaction with the phase) and edges are
 * told; then the lock is let go and the overflow rows of the range are drained into the
 * destination. Every step is idempotent: a run that stops anywhere before the mapping switch
 * repeats the phase; after it, cleanup finishes.
 */
export async function runSwitch(ctx: MigrationContext): Promise<StepOutcome> {
  const { deps, m, range } = ctx;
  if (!deps.opLocks) throw new ShardcastError("unavailable", "op-locks are not configured on this worker");
  const epochs = migrationEpochs(m);
  let times: SwitchTimes | null = null;
  let settled: Awaited<ReturnType<typeof settleTail>> | null = null;
  let totals: { events: number; bytes: number } | null = null;
  try {
    await deps.opLocks.withOpLock(m.shardletId, async (lock) => {
      const locked = deps.clock();
      const step = async (name: Parameters<typeof afterStep>[1]) => {
        lock.assertHeld();
        await afterStep(ctx, name);
      };
      await withHostRetry(ctx, "source fence", () => fenceForChange(ctx.source, [m.shardletId], MOVED_FENCE_STATE, new Map([[m.shardletId, epochs.switched]])));
      const sourceFenced = deps.clock();
      await step("switch.source-fenced");
      settled = await settleTail(ctx);
      const tailChecked = deps.clock();
      await step("switch.tail");
      // The copies are equal, so the destination takes over the source's accounting of the shardlet.
      const t = await withHostRetry(ctx, "source totals", () => shardletTotals(ctx.source, m.shardletId));
      totals = t;
      await withHostRetry(ctx, "destination totals", () => setShardletTotals(destination(ctx), m.shardletId, t));
      await withHostRetry(ctx, "destination fence", () => destination(ctx).setFence(m.shardletId, range.streamId, epochs.switched, "active", range));
      await step("switch.dest-active");
      lock.assertHeld();
      await switchMigrationMapping(
        deps.db,
        {
          id: m.id,
          shardletId: m.shardletId,
          sourceHostId: m.sourceHostId,
          destHostId: m.destHostId,
          fromEpoch: epochs.copy,
          toEpoch: epochs.switched,
          sizeBytes: t.bytes,
          eventCount: t.events,
        },
        {
          message: `Switched: the shardlet is on the destination at epoch ${epochs.switched}; the source keeps its rows for the cleanup grace period`,
          details: { epoch: epochs.switched, rows: t.events, bytes: t.bytes, tailRows: settled.tailRows, repaired: settled.repaired, fullCheck: settled.fullCheck },
        },
      );
      ctx.m.phase = "cleanup";
      const mapped = deps.clock();
      await step("switch.mapped");
      await announce(ctx);
      times = { locked, sourceFenced, tailChecked, mapped, announced: deps.clock() };
    });
  } catch (err) {
    // A split or merge about to start holds the lock (it will find the shardlet migrating and stop).
    if (err instanceof ShardcastError && err.code === "conflict" && ctx.m.phase === "switching" && !times) {
      const lockedElsewhere = await deps.opLocks.isLocked(m.shardletId).catch(() => false);
      if (lockedElsewhere) return paused(deps.clock() + (deps.migration?.lockRetryMs ?? 2_000), `the shardlet is op-locked by another job: ${err.message}`);
    }
    throw err;
  }
  const unlocked = deps.clock();
  // Events that reached the overflow log while the shardlet was locked go into the destination
  // now, outside the lock: writers already write there directly, and readers merge the log with
  // the hosts by sequence meanwhile. Draining under the lock would chase the very events the lock
  // diverts.
  const drained = await drainIntoDestination(ctx);
  await afterStep(ctx, "switch.drained");
  const t = times as SwitchTimes | null;
  const s = settled as Awaited<ReturnType<typeof settleTail>> | null;
  if (t && s) {
    const lockMs = unlocked - t.locked;
    await note(
      ctx,
      {
        message: `Switch took ${lockMs} ms under the shardlet's lock (writes refused by the source and sent to the overflow log for ${t.announced - t.sourceFenced} ms; tail of ${s.tailRows} rows checked in ${t.tailChecked - t.sourceFenced} ms${s.repaired > 0 ? `, ${s.repaired} ranges re-copied` : ""}); ${drained} overflow rows drained afterwards`,
        details: {
          switchMs: lockMs,
          writesDivertedMs: t.announced - t.sourceFenced,
          tailRows: s.tailRows,
          tailRepaired: s.repaired,
          tailMs: t.tailChecked - t.sourceFenced,
          mappedAfterMs: t.mapped - t.locked,
          drainMs: deps.clock() - unlocked,
          drained,
          rows: (totals as { events: number } | null)?.events ?? null,
          fullCheck: s.fullCheck,
          lockedAt: t.locked,
          unlockedAt: unlocked,
        },
      },
      "cleanup",
    );
  }
  await afterPhase(ctx, "cleanup");
  return NEXT;
}
