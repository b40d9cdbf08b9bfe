import { planManualMove, planReadMoves, readMoveReward, type PlacementSettings, type ReadMoveCandidate, type ReadMoveTarget, type ReplicationDecision } from "@shardcast/core";
import {
  createMigrationProposal,
  getRebalanceSettings,
  listHosts,
  listReplicas,
  listUnfinishedLifecycleJobs,
  loadMigrationRun,
  loadPlacementSnapshot,
  recordOperation,
  telemetryTotals,
  type PlacementSnapshot,
  type ShardletInfo,
} from "@shardcast/db";
import type { JobQueue } from "@shardcast/jobs";
import type { PlacementDecisionRecord, PlacementState } from "@shardcast/runtime";
import { startMigration } from "../rebalance/plan.ts";
import type { PlacementDeps } from "./deps.ts";

/** A live shardlet's read rate over the run's trailing window, and where it is. */
export interface ShardletReadRate {
  shardletId: string;
  streamId: string;
  hostId: string;
  readsPerSec: number;
}

export interface MoveContext {
  state: PlacementState;
  settings: PlacementSettings;
  now: number;
  actor: string;
  queue?: JobQueue;
}

/**
 * A move's reward is measured over the telemetry since its switch, at the first run at least this
 * long after it: the edges' counters and the rollup reach the control database a little late, and
 * a shorter window would rate the hosts on a few buckets.
 */
export const READ_MOVE_SETTLE_MS = 120_000;
const ENDED_WITHOUT_MOVE = new Set(["failed", "cancelled", "rejected"]);

async function activeHostReads(deps: PlacementDeps, rates: Iterable<{ hostId: string; reads: number }>): Promise<Map<string, number>> {
  const hosts = (await listHosts(deps.db)).filter((h) => h.status === "active" && h.retiredAt === null);
  const out = new Map(hosts.map((h) => [h.id, 0]));
  for (const r of rates) if (out.has(r.hostId)) out.set(r.hostId, out.get(r.hostId)! + r.reads);
  return out;
}

/**
 * Rewards the moves whose migration finished at least `READ_MOVE_SETTLE_MS` ago, from the reads
 * since the switch (core's `readMoveReward`); a move whose migration ended without moving earns
 * nothing and is forgotten (it says nothing about the arm), as is one whose shardlet is gone.
 * Others wait for a later run.
 */
export async function rewardReadMoves(deps: PlacementDeps, c: MoveContext, live: ReadonlyArray<Pick<ShardletInfo, "id" | "streamId" | "hostId">>): Promise<number> {
  let rewarded = 0;
  for (const [migrationId, m] of Object.entries(c.state.moves)) {
    const rec = c.state.recent.find((d) => d.shardletId === m.shardletId && d.at === m.at && d.arm === "move");
    const run = await loadMigrationRun(deps.db, migrationId);
    if (!run || ENDED_WITHOUT_MOVE.has(run.phase)) {
      delete c.state.moves[migrationId];
      if (rec) rec.reason += `; the migration ${run ? `ended ${run.phase}` : "is gone"}: no reward`;
      continue;
    }
    const switched = run.finishedAt?.getTime();
    if (run.phase !== "done" || switched === undefined || c.now - switched < READ_MOVE_SETTLE_MS) continue;
    const where = new Map(live.map((s) => [s.id, s.hostId]));
    // Split or merged since: its reads now count under other ids, so nothing measures the move.
    if (!where.has(m.shardletId)) {
      delete c.state.moves[migrationId];
      if (rec) rec.reason += "; the shardlet split or merged before its reward was measured";
      continue;
    }
    const reads: Array<{ hostId: string; reads: number }> = [];
    let readEvents = 0;
    for (const streamId of new Set(live.map((s) => s.streamId))) {
      const t = await telemetryTotals(deps.db, { streamId, from: switched, to: c.now + 1 });
      for (const s of t.byShardlet) {
        const hostId = where.get(s.shardletId);
        if (hostId !== undefined) reads.push({ hostId, reads: s.reads });
        if (s.shardletId === m.shardletId) readEvents += s.reads;
      }
    }
    const hostReads = await activeHostReads(deps, reads);
    const total = [...hostReads.values()].reduce((a, b) => a + b, 0);
    const reward = readMoveReward(m.excessBefore, {
      sourceReads: hostReads.get(m.sourceHostId) ?? 0,
      destReads: hostReads.get(m.destHostId) ?? 0,
      meanReads: hostReads.size > 0 ? total / hostReads.size : 0,
      readEvents,
      copiedEvents: run.rowsCopied,
    });
    c.state.bandit.reward(m.context, "move", reward);
    if (rec) rec.reward = reward;
    delete c.state.moves[migrationId];
    rewarded++;
  }
  return rewarded;
}

/** What the arm needs to start a move it chose: the write figures it was checked against. */
export interface ReadMovePlan {
  targets: Map<string, ReadMoveTarget>;
  snapshot: PlacementSnapshot;
  rebalance: Awaited<ReturnType<typeof getRebalanceSettings>>;
}

/**
 * The moves the arm may make this run (core's `planReadMoves`), on the rebalancer's own write
 * figures and cool-down. Whatever already changes a shardlet's placement blocks it: an open
 * migration, a read replica (its reads are split already, and the replica follows its source),
 * a split or merge, or a move within either cool-down.
 */
export async function planMoves(deps: PlacementDeps, c: MoveContext, rates: readonly ShardletReadRate[]): Promise<ReadMovePlan | null> {
  for (const [id, until] of Object.entries(c.state.moveCooldown)) if (until <= c.now) delete c.state.moveCooldown[id];
  if (c.settings.maxReadMovesPerRun === 0) return null;
  const hot = rates.filter((r) => r.readsPerSec >= c.settings.replicaMinReadsPerSec);
  if (hot.length === 0) return null;
  const rebalance = await getRebalanceSettings(deps.db);
  const snapshot = await loadPlacementSnapshot(deps.db, { now: c.now, cooldownMs: rebalance.cooldownSec * 1000 });
  const replicated = new Set((await listReplicas(deps.db)).map((r) => r.shardletId));
  const changing = new Set((await listUnfinishedLifecycleJobs(deps.db)).flatMap((j) => [...j.sourceIds, ...j.childIds]));
  const blocked = (id: string): string | undefined => {
    if (snapshot.inFlight.has(id)) return "a migration is under way";
    if (replicated.has(id)) return "it has a read replica";
    if (changing.has(id)) return "a split or merge is under way";
    if (snapshot.recentMoves.has(id)) return "moved within the rebalancer's cool-down";
    if ((c.state.moveCooldown[id] ?? 0) > c.now) return "moved for its reads within the cool-down";
    return undefined;
  };
  const candidates: ReadMoveCandidate[] = hot.map((r) => {
    const why = blocked(r.shardletId);
    return { shardletId: r.shardletId, hostId: r.hostId, readsPerSec: r.readsPerSec, ...(why ? { blocked: why } : {}) };
  });
  const hostReads = await activeHostReads(deps, rates.map((r) => ({ hostId: r.hostId, reads: r.readsPerSec })));
  const targets = planReadMoves({
    hostReads,
    candidates,
    write: { hosts: snapshot.hosts, shardlets: snapshot.shardlets, inFlightMoves: snapshot.inFlightMoves, labels: snapshot.labels, settings: rebalance },
    settings: c.settings,
  });
  return { targets, snapshot, rebalance };
}

/**
 * Starts a move the bandit chose: an approved migration of origin `placement`, so the mover copies
 * it with shadow writes and switches it under the fencing op-lock like any other (queued at once
 * when the job has a queue, else by the migration scheduler). Logged as `placement.move`; its
 * reward waits in the state until the migration is done and has settled.
 */
export async function startReadMove(
  deps: PlacementDeps,
  c: MoveContext,
  plan: ReadMovePlan,
  d: Extract<ReplicationDecision, { arm: "move" }>,
  s: ShardletInfo,
  rec: PlacementDecisionRecord,
): Promise<boolean> {
  const { snapshot } = plan;
  const { proposal, problems } = planManualMove(
    { hosts: snapshot.hosts, shardlets: snapshot.shardlets, settings: plan.rebalance, now: c.now, inFlight: snapshot.inFlight, inFlightMoves: snapshot.inFlightMoves, labels: snapshot.labels },
    s.id,
    d.target.destHostId,
    "placement",
  );
  const dest = snapshot.labels.get(d.target.destHostId) ?? d.target.destHostId;
  const op = { kind: "placement.move", streamId: s.streamId, shardletId: s.id, hostId: d.target.destHostId, actor: c.actor };
  if (!proposal || problems.length > 0) {
    rec.reason += `; not started: ${problems.join(" ")}`;
    await recordOperation(deps.db, { ...op, status: "failed", message: rec.reason, details: { context: d.context } });
    return false;
  }
  rec.reason += `; to ${dest}`;
  const { id, created } = await createMigrationProposal(deps.db, {
    streamId: s.streamId,
    shardletId: s.id,
    sourceHostId: proposal.sourceHostId,
    destHostId: proposal.destHostId,
    origin: "placement",
    reason: rec.reason.slice(0, 4000),
    expectedBenefit: d.target.excessBefore,
    expectedLoad: proposal.expectedLoad,
    feasibility: proposal.feasibility,
    bytesToMove: proposal.bytesToMove,
    shardletEpoch: snapshot.epochs.get(s.id) ?? 0,
    proposedBy: "placement",
    phase: "approved",
  });
  if (!created) {
    rec.reason += `; not started: migration ${id} of the shardlet is already open`;
    await recordOperation(deps.db, { ...op, status: "failed", message: rec.reason, details: { context: d.context, migrationId: id } });
    return false;
  }
  if (c.queue) await startMigration(c.queue, id);
  c.state.moves[id] = { shardletId: s.id, streamId: s.streamId, context: d.context, at: rec.at, sourceHostId: proposal.sourceHostId, destHostId: proposal.destHostId, excessBefore: d.target.excessBefore };
  c.state.moveCooldown[s.id] = c.now + c.settings.readMoveCooldownSec * 1000;
  await recordOperation(deps.db, {
    ...op,
    status: "succeeded",
    message: rec.reason,
    details: { context: d.context, migrationId: id, sourceHostId: proposal.sourceHostId, destHostId: proposal.destHostId, readsPerSec: d.target.readsPerSec, excessBefore: d.target.excessBefore },
  });
  return true;
}
