import { ShardcastError } from "@shardcast/core";
import { createPendingShardlets, prepareChildren, switchFences, type PendingShardlet } from "@shardcast/db";
import { advanceFrom, type RunContext } from "./run-context.ts";
import { CHILD_EPOCH } from "./shape.ts";

/**
 * A hand-off's successor: its control rows, its pending fence on the destination, and the switch
 * of both hosts' fences (see steps.ts for the steps that use them).
 */

/**
 * A hand-off's `moving`, for a job persisted there before hand-offs skipped it (their `fenced`
 * prepares the successor now): the successor is created pending on the destination (its fence,
 * empty totals) and in the control database with the source's range and write rate. Nothing is
 * counted or copied: the source keeps its rows and its totals where they are, as history.
 */
export async function prepareSuccessor(ctx: RunContext): Promise<void> {
  const advance = advanceFrom(ctx, 0);
  const [prepared] = await Promise.all([prepareOnHost(ctx), createPendingShardlets(ctx.deps.db, successorRows(ctx), advance)]);
  if (!prepared) throw liveSuccessor(ctx);
  ctx.successorPrepared = true;
  ctx.job.phase = advance.to;
}

/** The control rows of a hand-off's successor: the source's range and write rate, on the destination. */
export function successorRows(ctx: RunContext): PendingShardlet[] {
  const source = ctx.sources[0]!;
  return ctx.children.map((c) => ({
    id: c.id,
    streamId: ctx.job.streamId,
    shardId: source.shardId,
    lo: c.lo,
    hi: c.hi,
    hostId: ctx.childHostId,
    capacityBytes: ctx.childCapacityBytes,
    epoch: CHILD_EPOCH,
    parentId: source.id,
    writeRate: source.writeRate,
  }));
}

export function liveSuccessor(ctx: RunContext): ShardcastError {
  return new ShardcastError("conflict", `hand-off job ${ctx.job.id} was moved past ${ctx.job.phase} by another run: its successor is live`);
}

/** The successor's pending fence and empty totals on the destination; false once it is live (another run switched it). */
export function prepareOnHost(ctx: RunContext): Promise<boolean> {
  return prepareChildren(ctx.childDriver, {
    streamId: ctx.job.streamId,
    children: ctx.children.map((c) => ({ ...c, epoch: CHILD_EPOCH, events: 0, bytes: 0 })),
    drop: [],
  });
}

/** A hand-off's switch on its hosts: the successor's fence opens on the destination (`open`: those of its ids), the source's is sealed. */
export function switchHandoffFences(ctx: RunContext, open: readonly string[] = ctx.job.childIds): Promise<unknown> {
  return Promise.all([
    open.length > 0 ? switchFences(ctx.childDriver, { activate: open, retire: [] }) : null,
    switchFences(ctx.driver, { activate: [], retire: [], seal: ctx.job.sourceIds }),
  ]);
}

/**
 * A hand-off resumed at `draining` by a run that did not switch it: the run before may have
 * stopped with the control rows switched but not the hosts' fences. Still under the locks. The
 * successor's fence is opened only while pending (a later job may have raised it since); the
 * source's seal is idempotent.
 */
export async function switchAgainIfResumed(ctx: RunContext): Promise<void> {
  if (ctx.job.kind !== "handoff" || ctx.hostsSwitched) return;
  const fences = await Promise.all(ctx.job.childIds.map((id) => ctx.childDriver.getFence(id)));
  await switchHandoffFences(
    ctx,
    ctx.job.childIds.filter((_, i) => fences[i]?.state === "pending"),
  );
  ctx.hostsSwitched = true;
}
