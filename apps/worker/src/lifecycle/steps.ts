import { ShardcastError, type ShardletRoute } from "@shardcast/core";
import {
  createPendingShardlets,
  listSealedShardlets,
  fenceForChange,
  finishLifecycleJob,
  markShardletsChanging,
  prepareChildren,
  recordOperation,
  switchFences,
  switchShardlets,
  updateLifecycleProgress,
  type LifecycleStep,
  type SealedShardlet,
} from "@shardcast/db";
import { childTotals } from "./child-totals.ts";
import { contentionPrediction } from "./contention-cause.ts";
import { drainOverflow } from "./drain.ts";
import { advanceFrom, announce, announceRoutes, GiveUp, readLockedChecks, type RunContext } from "./run-context.ts";
import { changeEpochs, changingState, CHILD_EPOCH, cover, mergeProblem, shareWriteRate } from "./shape.ts";
import { liveSuccessor, prepareOnHost, prepareSuccessor, successorRows, switchHandoffFences } from "./successor.ts";

/** The steps of the split / merge state machine (see machine.ts), one per persisted phase. */

const DEFAULT_DRAIN_CHUNK_ROWS = 1_000;

/** Nothing changed yet: check that the sources are still what the job was planned on. */
async function stepLocked(ctx: RunContext): Promise<void> {
  const { job, sources } = ctx;
  for (const s of sources) {
    if (s.state !== "active") throw new GiveUp(`shardlet ${s.id} is ${s.state}, not active`);
    if (s.hostId !== job.hostId || s.streamId !== job.streamId) throw new GiveUp(`shardlet ${s.id} moved since the job was planned`);
  }
  if (job.kind === "merge") {
    const problem = mergeProblem(sources[0]!, sources[1]!);
    if (problem) throw new GiveUp(problem);
  }
  if (job.kind === "handoff" && ctx.childHostId === job.hostId) throw new GiveUp("a hand-off needs a destination other than the shardlet's host");
  // Usually read already, beside the attempt's statement (a migration's copy of the sources' rows
  // by key-hash range and this job never both go ahead: it starts under the same op-lock).
  const { dest, migrating, fences } = await (ctx.lockedReads ?? readLockedChecks(ctx.deps, job, ctx.driver, ctx.childHostId));
  if (job.kind === "handoff") {
    if (!dest) throw new GiveUp(`the destination host ${ctx.childHostId} is not registered`);
    if (dest.status !== "active") throw new GiveUp(`the destination host ${dest.name} is ${dest.status}; moves go only to active hosts`);
  }
  if (migrating.length > 0) throw new GiveUp(`shardlet ${migrating.join(", ")} is being migrated to another host`);
  fences.forEach((f, i) => {
    const s = sources[i]!;
    if (!f || f.state !== "active" || f.epoch !== s.epoch) {
      throw new GiveUp(`fence of shardlet ${s.id} on its host (${f ? `${f.state} at epoch ${f.epoch}` : "missing"}) does not match epoch ${s.epoch}`);
    }
  });
}

/**
 * The epoch raise: host fences first (waits for writes in flight), then the control rows. Not
 * announced: edges already send the sources' events to the overflow log because of the op-lock
 * message, and one that missed it is rejected by the fence and reloads the routes then. Every
 * announcement makes every edge reload the stream's routes, which costs ingest throughput.
 */
async function stepFenced(ctx: RunContext): Promise<void> {
  const { deps, job, sources } = ctx;
  const state = changingState(job.kind);
  const epochs = changeEpochs(sources, state);
  const advance = advanceFrom(ctx);
  const handoff = job.kind === "handoff";
  // All at once: the lock window is what a hand-off's writers wait through. Edges learn the
  // control rows' new state only from the switch's announcement (or a reload, which finds the
  // sources locked anyway). A hand-off's successor counts nothing, so it is prepared here too,
  // pending (refusing writes) on the destination and in the control rows (created with the mark,
  // and only if every source matched), and the job goes on to `switching`. A run that stops with
  // only the control statement done redoes the host statements when it resumes (see
  // fenceAgainIfResumed, prepareOnHost), before anything is counted, prepared or switched.
  const [, changed, prepared] = await Promise.all([
    fenceForChange(ctx.driver, job.sourceIds, state, epochs),
    markShardletsChanging(deps.db, state, epochs, advance, handoff ? successorRows(ctx) : []),
    handoff ? prepareOnHost(ctx) : true,
  ]);
  if (changed !== sources.length) throw new ShardcastError("conflict", `a source of ${job.kind} job ${job.id} was changed by someone else`);
  if (!prepared) throw liveSuccessor(ctx);
  for (const s of sources) {
    s.state = state;
    s.epoch = epochs.get(s.id)!;
  }
  ctx.sourcesFenced = true;
  if (handoff) ctx.successorPrepared = true;
  job.phase = advance.to;
}

/**
 * A run resumed past `fenced` raises the sources' host fences first (idempotent): the run before it
 * may have stopped after the control rows' change but before the hosts'.
 */
async function fenceAgainIfResumed(ctx: RunContext): Promise<void> {
  if (ctx.sourcesFenced) return;
  const state = changingState(ctx.job.kind);
  await fenceForChange(ctx.driver, ctx.job.sourceIds, state, changeEpochs(ctx.sources, state));
  ctx.sourcesFenced = true;
}

/**
 * `moving` (named when it re-labelled rows): the children are prepared; no row moves, because a
 * shardlet's rows are those in its key-hash range. The children's figures come first (from the
 * sources' accounting and at most a split's left half counted, see child-totals.ts); then they are
 * created pending on the host (fences, totals; the sources' totals and deltas dropped), then in
 * the control database with those figures, together with the job's next phase. The sources are
 * fenced and the children pending, so nothing writes into the range meanwhile and a repeated step
 * gives the same result.
 */
async function stepMoving(ctx: RunContext): Promise<void> {
  await fenceAgainIfResumed(ctx);
  if (ctx.job.kind === "handoff") return prepareSuccessor(ctx);
  const { deps, job, sources, children, driver } = ctx;
  const [first, second] = sources;
  const totals = await childTotals(driver, job.kind === "merge", sources, children);
  const rates = shareWriteRate(
    sources.reduce((sum, s) => sum + s.writeRate, 0),
    totals.map((t) => t.events),
  );
  const prepared = await prepareChildren(driver, {
    streamId: job.streamId,
    children: children.map((c, i) => ({ ...c, epoch: CHILD_EPOCH, ...totals[i]! })),
    drop: job.sourceIds,
  });
  // A run that lost its lock while counting: another run switched the children since, and the
  // host kept their live accounting.
  if (!prepared) throw new ShardcastError("conflict", `lifecycle job ${job.id} was moved past moving by another run: its children are live`);
  const rowsMoved = totals.reduce((sum, t) => sum + t.events, 0);
  const advance = advanceFrom(ctx, rowsMoved);
  await createPendingShardlets(
    deps.db,
    children.map((c, i) => ({
      id: c.id,
      streamId: job.streamId,
      shardId: first!.shardId,
      lo: c.lo,
      hi: c.hi,
      hostId: job.hostId,
      capacityBytes: ctx.childCapacityBytes,
      epoch: CHILD_EPOCH,
      parentId: first!.id,
      mergedFromId: job.kind === "merge" ? second!.id : null,
      sizeBytes: totals[i]!.bytes,
      eventCount: totals[i]!.events,
      writeRate: rates[i]!,
    })),
    advance,
  );
  job.rowsMoved = rowsMoved;
  job.phase = advance.to;
}

/**
 * Children take over: host fences, then the control rows (and the job's next phase) in one
 * statement, then the edges are told. A hand-off's host and control statements run at once (its
 * source already refuses writes: it is `migrating` at its raised epoch, so no order of the three
 * loses a write); a run that stops with only the control statement done switches the hosts when
 * it resumes at `draining` (see switchAgainIfResumed), before its locks are let go.
 */
async function stepSwitching(ctx: RunContext): Promise<void> {
  const { deps, job } = ctx;
  const advance = advanceFrom(ctx);
  const at = new Date(deps.clock());
  let childRoutes: ShardletRoute[];
  if (job.kind === "handoff") {
    // Resumed here: the run that raised the fence or prepared the successor may have stopped
    // before its host answered. A successor already live is fine (prepareOnHost says false, and
    // the switch accepts it).
    await Promise.all([fenceAgainIfResumed(ctx), ctx.successorPrepared ? null : prepareOnHost(ctx)]);
    const [, routes] = await Promise.all([switchHandoffFences(ctx), switchShardlets(deps.db, { activate: job.childIds, retire: [], seal: job.sourceIds, at }, advance)]);
    ctx.hostsSwitched = true;
    childRoutes = routes;
  } else {
    await switchFences(ctx.driver, { activate: job.childIds, retire: job.sourceIds });
    childRoutes = await switchShardlets(deps.db, { activate: job.childIds, retire: job.sourceIds, at }, advance);
  }
  job.phase = advance.to;
  // The children's routes go with the announcement: a held write is let go as soon as its edge has
  // them, with no edge reading the stream's routes again.
  await announce(deps, job.streamId, { retire: job.sourceIds, routes: childRoutes });
  ctx.switchedAt = deps.clock();
}

/** Hosts other than `hostId` holding sealed history overlapping the range. */
function historyHosts(sealed: readonly SealedShardlet[], range: { lo: number; hi: number }, hostId: string): string[] {
  return [...new Set(sealed.filter((s) => s.hostId !== hostId && s.lo < range.hi && range.lo < s.hi).map((s) => s.hostId))];
}

/** Events that reached the shard's overflow log for the sources' range go into the children. */
async function stepDraining(ctx: RunContext): Promise<void> {
  const { deps, job, children } = ctx;
  // Ids stored in the range's history (a hand-off's sealed source included) are not drained again.
  const [home, sealed] = await Promise.all([deps.hosts.get(ctx.homeHostId), listSealedShardlets(deps.db, { streamId: job.streamId })]);
  const result = await drainOverflow(deps, {
    streamId: job.streamId,
    home,
    targets: children.map((c) => ({ ...c, hostId: ctx.childHostId, epoch: CHILD_EPOCH, historyHostIds: historyHosts(sealed, c, ctx.childHostId) })),
    chunkRows: deps.lifecycle?.drainChunkRows ?? DEFAULT_DRAIN_CHUNK_ROWS,
    // A drain resumed under the locks (a job stopped at `draining` before this release) keeps
    // checking them; after the switch it needs none: the sweep leaves an unfinished job's
    // children alone, and a later job on them fences this drain's writes out.
    beforeChunk: () => ctx.lock?.assertHeld(),
    signal: ctx.signal,
  });
  if (result.blocked.length > 0) {
    deps.log.warn("drain left rows for the sweep: a child changed meanwhile", { jobId: job.id, blocked: result.blocked });
  }
  if (result.duplicates > 0) {
    deps.log.info("overflow rows already stored under another seq were deleted", { jobId: job.id, duplicates: result.duplicates });
  }
  if (result.cleared.length > 0) {
    // Until the edges reload, each of their writes with ids to the children looks the ids up in
    // the overflow log first: they are told now, not after the job's records are written.
    await announceRoutes(deps, job.streamId, result.cleared);
    ctx.flagsAnnounced = true;
  }
  if (result.drained === 0) return;
  job.drained += result.drained;
  const range = cover(ctx.sources);
  // Figures and the log entry need no lock: written after the locks are let go (see afterUnlock).
  ctx.afterUnlock.push(async () => recordDrain(ctx, result, range));
}

async function recordDrain(ctx: RunContext, result: { drained: number; byTarget: ReadonlyMap<string, number> }, range: { lo: number; hi: number }): Promise<void> {
  const { deps, job } = ctx;
  const prediction = await contentionPrediction(deps, job, range);
  await Promise.all([
    updateLifecycleProgress(deps.db, job.id, { drainedAdd: result.drained }),
    recordOperation(deps.db, {
      kind: "contention",
      status: "succeeded",
      streamId: job.streamId,
      shardletId: job.sourceIds[0]!,
      hostId: job.hostId,
      actor: "worker",
      message: `${result.drained} events written while ${job.sourceIds.join(" + ")} was ${changingState(job.kind)} went through the overflow log into ${[...result.byTarget.keys()].join(", ")}${prediction ? `; ${prediction.note}` : ""}`,
      details: {
        jobId: job.id,
        count: result.drained,
        byShardlet: Object.fromEntries(result.byTarget),
        lo: range.lo,
        hi: range.hi,
        ...(prediction ? { prealloc: prediction.details } : {}),
      },
    }),
  ]);
}

async function stepDone(ctx: RunContext): Promise<void> {
  const { deps, job, children } = ctx;
  const durationMs = deps.clock() - job.createdAt.getTime();
  const range = cover(ctx.sources);
  const what =
    job.kind === "split"
      ? `split ${job.sourceIds[0]} [${range.lo}, ${range.hi}) at ${job.splitAt} into ${job.childIds.join(" and ")}`
      : job.kind === "merge"
        ? `merged ${job.sourceIds.join(" and ")} into ${job.childIds[0]} [${range.lo}, ${range.hi})`
        : `handed ${job.sourceIds[0]} [${range.lo}, ${range.hi}) off to ${job.childIds[0]} on host ${ctx.childHostId}; its history stays on host ${job.hostId}, sealed`;
  const taken = job.kind === "handoff" ? "no row copied" : `${job.rowsMoved} rows taken over by range (none rewritten)`;
  await finishLifecycleJob(deps.db, job.id, {
    kind: `shardlet.${job.kind}`,
    status: "succeeded",
    streamId: job.streamId,
    shardletId: job.sourceIds[0]!,
    hostId: job.hostId,
    actor: job.actor ?? "worker",
    message: `${what}: ${taken}, ${job.drained} drained from the overflow log (${job.reason})`,
    durationMs,
    details: {
      jobId: job.id,
      reason: job.reason,
      sources: job.sourceIds,
      children: children.map((c) => ({ id: c.id, lo: c.lo, hi: c.hi })),
      splitAt: job.splitAt,
      ...(job.kind === "handoff" ? { sourceHostId: job.hostId, destHostId: ctx.childHostId } : {}),
      rowsMoved: job.rowsMoved,
      drained: job.drained,
      attempts: job.attempts,
      stepMs: ctx.timings,
      // Lock window of this run: producers' events for the range went to the overflow log from
      // the lock until the switch was announced; the locks were let go after the drain.
      ...(ctx.switchedAt !== null ? { switchedAfterMs: ctx.switchedAt - ctx.lockedAt } : {}),
      ...(ctx.unlockedAt !== null ? { lockMs: ctx.unlockedAt - ctx.lockedAt } : {}),
    },
  });
}

export const STEPS: Record<LifecycleStep, (ctx: RunContext) => Promise<void>> = {
  // Planning (split point, child ids) happened when the job was created.
  planned: () => Promise.resolve(),
  locked: stepLocked,
  fenced: stepFenced,
  moving: stepMoving,
  switching: stepSwitching,
  draining: stepDraining,
  done: stepDone,
};

