import {
  CONSUMER_SETTINGS_KEY,
  cursorAhead,
  cursorPosition,
  decideCheckpoint,
  forecastArrivalRate,
  ForecastGate,
  laterCursor,
  parseConsumerSettings,
  type ConsumerSettings,
  type Cursor,
} from "@shardcast/core";
import {
  consumerGroupNeedsReconcile,
  getConsumerGroupState,
  getDurableCheckpoints,
  getSettings,
  listConsumerGroups,
  listShardletRanges,
  listShardlets,
  reconcileConsumerGroup,
  recordConsumerLag,
  saveCheckpoints,
  rateSeries,
  type CheckpointWrite,
  type ConsumerGroupInfo,
  type ShardletInfo,
} from "@shardcast/db";
import type { ConsumerProgress, SnapshotRequest } from "@shardcast/runtime";
import { checkAborted } from "../domain/abort.ts";
import type { WorkerDeps } from "../deps.ts";
import { gatedForecast, gateKey } from "./forecast-use.ts";
import { LagMemo } from "./lag-memo.ts";

export interface CheckpointRunOptions {
  progress: ConsumerProgress;
  /** How often this job runs: a decision must hold until the next one. */
  decisionIntervalSec: number;
  /** Lag figures of earlier runs (see LagMemo); without one every run scans every shardlet. */
  lagMemo?: LagMemo;
  /**
   * How well each shardlet's forecast predicted arrivals in earlier runs (core's `ForecastGate`):
   * a forecast is used only while it beats the rate just observed. Without one, none is used.
   */
  forecastGate?: ForecastGate;
  signal?: AbortSignal;
}

export interface CheckpointRunResult {
  groups: number;
  checkpoints: number;
  skipped: number;
  reconciled: number;
  /** Shardlets whose lag was scanned on their host, and those whose earlier figure still held. */
  lagScans: number;
  lagReused: number;
}

/** Telemetry resolution the arrival forecast reads (the finest rollup) and how much of it. */
const SERIES_STEP_SEC = 10;
const SERIES_WINDOW_MS = 60 * 60_000;
/** Rows of a stream a lag measurement examines per host at most. */
const LAG_SCAN_LIMIT = 50_000;

/**
 * The `consumer.checkpoint` job: for every group and shardlet, decide whether the committed cursor
 * (Redis) becomes a durable checkpoint (PostgreSQL), by the core policy (predictive: forecast
 * arrivals over the horizon times the group's measured per-event processing time, against the
 * threshold; a bound that always holds; or a fixed interval for comparison). Members holding a
 * checkpointed shardlet are asked to snapshot their own state at their next poll. It also expires
 * members nobody polled for (a group whose members all died still gets its shardlets freed) and
 * measures each shardlet's lag for the console.
 */
export async function runConsumerCheckpoint(deps: WorkerDeps, opts: CheckpointRunOptions): Promise<CheckpointRunResult> {
  const settings = parseConsumerSettings((await getSettings(deps.db))[CONSUMER_SETTINGS_KEY]);
  const groups = await listConsumerGroups(deps.db);
  const result: CheckpointRunResult = { groups: groups.length, checkpoints: 0, skipped: 0, reconciled: 0, lagScans: 0, lagReused: 0 };
  const memo = opts.lagMemo ?? new LagMemo();
  memo.prune(deps.clock());
  const gate = opts.forecastGate ?? new ForecastGate();
  const seen = new Set<string>();
  const shardletsByStream = new Map<string, ShardletInfo[]>();
  for (const g of groups) {
    checkAborted(opts.signal);
    let shardlets = shardletsByStream.get(g.streamId);
    if (!shardlets) {
      shardlets = await listShardlets(deps.db, { streamId: g.streamId });
      shardletsByStream.set(g.streamId, shardlets);
    }
    try {
      const r = await checkpointGroup(deps, opts, memo, gate, settings, g, shardlets);
      for (const a of r.assigned) seen.add(gateKey(g.id, a));
      result.checkpoints += r.checkpoints;
      result.lagScans += r.lag.scans;
      result.lagReused += r.lag.reused;
      result.reconciled += r.reconciled ? 1 : 0;
    } catch (err) {
      // One group's failure (a host down for its lag query, say) must not hold the others back.
      result.skipped++;
      deps.log.warn("consumer checkpoint failed for a group", { group: g.name, streamId: g.streamId, err });
    }
  }
  // Shardlets no group here holds any more (retired, handed to another group's run) are forgotten.
  for (const key of [...gate.keys()]) if (!seen.has(key)) gate.forget(key);
  return result;
}

async function checkpointGroup(
  deps: WorkerDeps,
  opts: CheckpointRunOptions,
  memo: LagMemo,
  gate: ForecastGate,
  settings: ConsumerSettings,
  g: ConsumerGroupInfo,
  shardlets: readonly ShardletInfo[],
): Promise<{ checkpoints: number; reconciled: boolean; lag: { scans: number; reused: number }; assigned: string[] }> {
  const now = deps.clock();
  const none = { scans: 0, reused: 0 };
  let state = await getConsumerGroupState(deps.db, g.id);
  if (!state) return { checkpoints: 0, reconciled: false, lag: none, assigned: [] };
  const routed = new Set(shardlets.filter((s) => s.state !== "pending").map((s) => s.id));
  const reconciled = consumerGroupNeedsReconcile(state, routed, now, undefined, settings.memberWeighting);
  if (reconciled) {
    const r = await reconcileConsumerGroup(deps.db, g.id, {
      now,
      handoffTimeoutMs: settings.handoffTimeoutMs,
      sealCursors: (ids) => opts.progress.seal(g.id, ids),
      weighting: settings.memberWeighting,
    });
    await opts.progress.putMissing(g.id, r.handedOn);
    await opts.progress.forget(g.id, r.retired);
    state = r.state;
  }
  await forgetRetired(deps, opts.progress, g, state.assignments);
  const ids = state.assignments.map((a) => a.shardletId);
  if (ids.length === 0) return { checkpoints: 0, reconciled, lag: none, assigned: [] };
  // The bucket under way, and the one before it (edges flush every 5 s, the rollup runs every
  // 10 s), are not complete yet: counting them would read as a drop in arrivals.
  const seriesEnd = Math.floor(now / (SERIES_STEP_SEC * 1000)) * SERIES_STEP_SEC * 1000 - SERIES_STEP_SEC * 1000;
  const [live, durable, since, stats, series] = await Promise.all([
    opts.progress.read(g.id, ids),
    getDurableCheckpoints(deps.db, g.id, ids),
    opts.progress.eventsSinceCheckpoint(g.id, ids),
    opts.progress.stats(g.id),
    rateSeries(deps.db, { metric: "writes", shardletIds: ids, bucketSec: SERIES_STEP_SEC, fromMs: seriesEnd - SERIES_WINDOW_MS, toMs: seriesEnd }),
  ]);
  const byId = new Map(shardlets.map((s) => [s.id, s]));
  // Telemetry bucket number of the series' first step (series steps are whole buckets).
  const firstBucket = (seriesEnd - SERIES_WINDOW_MS) / (SERIES_STEP_SEC * 1000);
  const unreported = await countUnreported(deps, g, state.assignments, live, durable, since, byId);
  const replaySecPerEvent = (stats.msPerEvent ?? settings.defaultReplayMsPerEvent) / 1000;
  const writes: CheckpointWrite[] = [];
  const reported = new Map<string, number>();
  const snapshots = new Map<string, SnapshotRequest[]>();
  for (const a of state.assignments) {
    const committed = live.get(a.shardletId);
    // Nothing in Redis: the durable checkpoint is already the newest position.
    if (!committed) continue;
    const d = durable.get(a.shardletId);
    // Redis may come back behind the checkpoint (a failover to a lagging replica, a restore): only
    // a cursor ahead of it is progress, and what is written never gives up what the checkpoint held.
    const progressed = !d || cursorAhead(committed, d.cursor);
    const cursor = laterCursor(committed, d?.cursor);
    const history = series.get(a.shardletId) ?? [];
    const recentRate = history.length > 0 ? history[history.length - 1] : undefined;
    const forecast = history.length > 0 ? forecastArrivalRate(history, { stepSec: SERIES_STEP_SEC, horizonSec: settings.predictionHorizonSec }) : (byId.get(a.shardletId)?.writeRate ?? 0);
    const forecastRate = gatedForecast(gate, gateKey(g.id, a.shardletId), { history, firstBucket, forecast });
    const eventsSince = Math.max(since.get(a.shardletId) ?? 0, unreported.get(a.shardletId) ?? 0);
    const decision = decideCheckpoint({
      mode: settings.checkpointMode,
      settings,
      eventsSinceCheckpoint: eventsSince,
      secondsSinceCheckpoint: d ? Math.max(0, (now - d.at) / 1000) : Number.POSITIVE_INFINITY,
      forecastRate,
      recentRate,
      replaySecPerEvent,
      decisionIntervalSec: opts.decisionIntervalSec,
      progressed,
    });
    if (!decision.checkpoint) continue;
    writes.push({ shardletId: a.shardletId, cursor, trigger: decision.trigger, reason: decision.reason, eventsSince, predictedReplaySec: decision.predictedReplaySec });
    reported.set(a.shardletId, since.get(a.shardletId) ?? 0);
    if (a.memberId) {
      const list = snapshots.get(a.memberId) ?? [];
      list.push({ shardletId: a.shardletId, position: cursorPosition(cursor), reason: decision.reason });
      snapshots.set(a.memberId, list);
    }
  }
  // Durable first: the counters and snapshot requests only follow a checkpoint that exists (a
  // concurrent writer may have stored a later one, and then this write moved nothing).
  const moved = new Set(await saveCheckpoints(deps.db, g.id, writes, new Date(now), { assignedOnly: true }));
  await opts.progress.resetSince(g.id, new Map([...reported].filter(([id]) => moved.has(id))));
  for (const [memberId, list] of snapshots) await opts.progress.requestSnapshots(g.id, memberId, list.filter((r) => moved.has(r.shardletId)));
  const lag = await measureLag(deps, memo, g, state.assignments, live, durable, byId, now);
  return { checkpoints: moved.size, reconciled, lag, assigned: ids };
}

/**
 * Removes what Redis still holds of shardlets the group no longer has and that are retired (or
 * gone) for good: a reconcile that stopped between its commit and forgetting the shardlets it
 * retired leaves them, and nothing else would. A shardlet not retired is left alone, though the
 * group does not hold it in the state read here: a reconcile since may have given it to the group.
 */
async function forgetRetired(deps: WorkerDeps, progress: ConsumerProgress, g: ConsumerGroupInfo, assignments: ReadonlyArray<{ shardletId: string }>): Promise<void> {
  const held = new Set(assignments.map((a) => a.shardletId));
  const stray = [...(await progress.storedShardlets(g.id))].filter((id) => !held.has(id));
  if (stray.length === 0) return;
  const live = new Set((await listShardletRanges(deps.db, stray)).filter((s) => s.state !== "retired").map((s) => s.id));
  const gone = stray.filter((id) => !live.has(id));
  if (gone.length === 0) return;
  await progress.forget(g.id, gone);
  deps.log.info("forgot consumer progress of retired shardlets", { group: g.name, shardlets: gone.length });
}

/**
 * Events processed since the durable checkpoint, counted on the host, for shardlets whose cursor
 * moved while their commits reported no `events` (a client over plain HTTP may leave it out; so
 * may one that seeks ahead). The policy's replay bound would otherwise see nothing to replay.
 * The count is the backlog from the checkpoint less the backlog from the cursor; when the scan
 * from the checkpoint hits its limit, what it counted (at least the events after the checkpoint)
 * stands in: too many is a checkpoint early, too few a bound broken. A host that does not answer
 * leaves the shardlet to the reported count until the next run.
 */
async function countUnreported(
  deps: WorkerDeps,
  g: ConsumerGroupInfo,
  assignments: ReadonlyArray<{ shardletId: string }>,
  live: ReadonlyMap<string, Cursor>,
  durable: ReadonlyMap<string, { cursor: Cursor }>,
  since: ReadonlyMap<string, number>,
  byId: ReadonlyMap<string, ShardletInfo>,
): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  await Promise.all(
    assignments.map(async ({ shardletId }) => {
      const committed = live.get(shardletId);
      const d = durable.get(shardletId)?.cursor;
      const s = byId.get(shardletId);
      if (!committed || !d || !s || (since.get(shardletId) ?? 0) > 0 || !cursorAhead(committed, d)) return;
      try {
        const host = await deps.hosts.get(s.hostId);
        const backlog = (segments: Cursor) => host.rangeBacklog({ streamId: g.streamId, segments, scanLimit: LAG_SCAN_LIMIT });
        const [fromCheckpoint, fromCursor] = await Promise.all([backlog(d), backlog(laterCursor(committed, d))]);
        out.set(shardletId, fromCheckpoint.capped ? fromCheckpoint.events : Math.max(0, fromCheckpoint.events - fromCursor.events));
      } catch (err) {
        deps.log.debug("unreported consumer progress not counted", { group: g.name, shardletId, err });
      }
    }),
  );
  return out;
}

/**
 * Events behind each shardlet's committed cursor on its host, and how long the oldest has waited:
 * scanned where the cursor or the shardlet's events changed since the memo's figure, else that figure.
 */
async function measureLag(
  deps: WorkerDeps,
  memo: LagMemo,
  g: ConsumerGroupInfo,
  assignments: ReadonlyArray<{ shardletId: string }>,
  live: ReadonlyMap<string, Cursor>,
  durable: ReadonlyMap<string, { cursor: Cursor }>,
  byId: ReadonlyMap<string, ShardletInfo>,
  now: number,
): Promise<{ scans: number; reused: number }> {
  const counts = { scans: 0, reused: 0 };
  const rows = await Promise.all(
    assignments.map(async (a) => {
      const cursor = laterCursor(live.get(a.shardletId), durable.get(a.shardletId)?.cursor);
      const s = byId.get(a.shardletId);
      if (!cursor || !s) return null;
      let b = memo.get(g.id, a.shardletId, cursor, s.eventCount, now);
      if (b) counts.reused++;
      else {
        counts.scans++;
        const host = await deps.hosts.get(s.hostId);
        b = await host.rangeBacklog({ streamId: g.streamId, segments: cursor, scanLimit: LAG_SCAN_LIMIT });
        memo.set(g.id, a.shardletId, cursor, s.eventCount, now, b);
      }
      return {
        groupId: g.id,
        shardletId: a.shardletId,
        committedSeq: cursorPosition(cursor),
        lagEvents: b.events,
        lagSeconds: b.oldestStoredAt === null ? 0 : Math.max(0, (now - b.oldestStoredAt) / 1000),
      };
    }),
  );
  await recordConsumerLag(
    deps.db,
    rows.filter((r): r is NonNullable<typeof r> => r !== null),
    new Date(now),
  );
  return counts;
}
