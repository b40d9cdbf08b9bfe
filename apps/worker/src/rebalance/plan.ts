import {
  planDrain,
  planDrainHistory,
  planRebalance,
  staleRebalanceReasons,
  type MigrationOrigin,
  type MoveProposal,
  type PlacementHost,
  type PlacementNote,
  type RebalanceInput,
  type SealedHistory,
} from "@shardcast/core";
import {
  createMigrationProposal,
  getCapacitySettings,
  getRebalanceSettings,
  listSealedShardlets,
  listStreamNames,
  loadPlacementSnapshot,
  rangeNeighbours,
  replacePlannerNotes,
  shardletRangeLabel,
  withdrawProposals,
  withdrawStaleProposals,
  type ControlDb,
} from "@shardcast/db";
import { enqueue, type JobQueue } from "@shardcast/jobs";
import type { WorkerDeps } from "../deps.ts";
import { checkAborted } from "../domain/abort.ts";
import { asOnlyPlannerRun, plannerBusy } from "../domain/planner-lock.ts";
import { copySpeedFor } from "../domain/copy-speed.ts";
import { historyCopyBlockers } from "../migration/history-guard.ts";
import { readHostOutlook } from "./outlook.ts";

export interface RebalanceRunResult {
  /** Migrations stored by this run (proposed, or approved by policy or drain). */
  created: Array<{ id: string; origin: MigrationOrigin; phase: "proposed" | "approved"; shardletId: string }>;
  /** Moves the planner chose that already had an open migration (nothing stored). */
  duplicates: number;
  /** Proposals withdrawn before planning: stale (the shardlet or destination changed, the time to live ran out) or no longer needed. */
  withdrawn: number;
  notes: PlacementNote[];
  drainingHosts: number;
  enabled: boolean;
  /** Why nothing ran (another run holds the rebalancer). */
  skipped?: string;
}

/**
 * The dedup id and window the mover's scheduler uses too, so a migration started here and by the
 * scheduler at once is queued once (the mover's run lock keeps a second run out regardless).
 */
const RUN_DEDUP_TTL_MS = 10_000;
export function migrationRunJobId(migrationId: string): string {
  return `migration-${migrationId}`;
}

/** Queues the mover for a migration that may start now. */
export async function startMigration(queue: JobQueue, migrationId: string): Promise<void> {
  await enqueue(queue, "migration.run", { migrationId }, { deduplication: { id: migrationRunJobId(migrationId), ttl: RUN_DEDUP_TTL_MS } });
}

async function store(
  db: ControlDb,
  p: MoveProposal,
  origin: MigrationOrigin,
  phase: "proposed" | "approved",
  proposedBy: string,
  epoch: number,
): Promise<{ id: string; created: boolean }> {
  return createMigrationProposal(db, {
    streamId: p.streamId,
    shardletId: p.shardletId,
    sourceHostId: p.sourceHostId,
    destHostId: p.destHostId,
    origin,
    reason: p.reason,
    ...(p.urgencySec !== undefined ? { urgencySec: p.urgencySec } : {}),
    expectedBenefit: p.benefit,
    expectedLoad: p.expectedLoad,
    feasibility: p.feasibility,
    bytesToMove: p.bytesToMove,
    ...(p.mode ? { mode: p.mode } : {}),
    shardletEpoch: epoch,
    proposedBy,
    phase,
  });
}

/**
 * `rebalance.plan`: withdraws stale proposals, plans the moves off draining hosts (stored approved:
 * the drain was an admin's decision; a few kept open per host) and the rebalancer's moves (stored
 * proposed, or approved under the auto-approve policy), queues the mover for the approved ones,
 * and replaces the rebalancer's "why not" notes. With `streamId`, only that stream's shardlets are
 * moved (every stream still counts toward the host loads).
 */
export async function runRebalancePlan(deps: WorkerDeps, opts: RebalanceRunOptions = {}): Promise<RebalanceRunResult> {
  return asOnlyPlannerRun(
    deps.opLocks,
    "rebalancer",
    {
      signal: opts.signal,
      // Plan now (a run with an actor) waits for a scheduled run under way; runs take well under a second.
      waitMs: opts.actor ? 30_000 : 0,
      onWait: () => deps.log.info("rebalance plan waits for the run under way", { actor: opts.actor }),
    },
    (signal) => planOnce(deps, { ...opts, ...(signal ? { signal } : {}) }),
    () => ({ created: [], duplicates: 0, withdrawn: 0, notes: [], drainingHosts: 0, enabled: true, skipped: plannerBusy("rebalancer") }),
  );
}

/**
 * Every sealed shardlet of the cluster (their bytes count against their hosts' room), labelled,
 * with the hosts a history copy of it may not go to when it sits on a draining host whose history
 * is copied off (another shardlet of its stream overlapping its range is there or moving there).
 * Their epochs go into `epochs`, so a history copy is stamped with the epoch it was planned at.
 */
async function sealedHistory(
  db: ControlDb,
  mode: "expire" | "copy",
  draining: readonly PlacementHost[],
  input: RebalanceInput,
  epochs: Map<string, number>,
): Promise<SealedHistory[]> {
  const sealed = await listSealedShardlets(db);
  if (sealed.length === 0) return [];
  for (const s of sealed) epochs.set(s.id, s.epoch);
  const names = new Map((await listStreamNames(db)).map((s) => [s.id, s.name]));
  const drainingIds = new Set(draining.map((h) => h.id));
  return Promise.all(
    sealed.map(async (s): Promise<SealedHistory> => {
      const out: SealedHistory = {
        id: s.id,
        streamId: s.streamId,
        hostId: s.hostId,
        sizeBytes: s.sizeBytes,
        expiresAt: s.expiresAt.getTime(),
        label: shardletRangeLabel(names.get(s.streamId) ?? s.streamId, s.lo, s.hi),
      };
      const routedLeft = input.shardlets.some((r) => r.hostId === s.hostId);
      if (mode !== "copy" || !drainingIds.has(s.hostId) || routedLeft) return out;
      const blockers = historyCopyBlockers(await rangeNeighbours(db, { streamId: s.streamId, lo: s.lo, hi: s.hi, exceptId: s.id }));
      return { ...out, blockedHostIds: [...blockers.keys()] };
    }),
  );
}

export interface RebalanceRunOptions {
  streamId?: string;
  actor?: string;
  queue?: JobQueue;
  signal?: AbortSignal;
}

async function planOnce(deps: WorkerDeps, opts: RebalanceRunOptions): Promise<RebalanceRunResult> {
  const { db, log } = deps;
  const now = deps.clock();
  const settings = await getRebalanceSettings(db);
  // What a move costs in time, as the capacity planner models it: a host over its limit is relieved
  // by the move that takes the most load off per second of migration (a hot, small shardlet first).
  const capacity = await getCapacitySettings(db);
  let withdrawn = await withdrawStaleProposals(db, { origins: ["rebalancer", "drain"], now: new Date(now), ttlMs: settings.proposalTtlSec * 1000, actor: "rebalancer" });
  const snap = await loadPlacementSnapshot(db, { now, cooldownMs: settings.cooldownSec * 1000 });
  // A host climbing towards its limit is planned at where its trend takes it within about a
  // migration's duration, so it is relieved before it is over (as the simulator's predictive policy).
  const outlook = await readHostOutlook(db, { now, settings, shardlets: snap.shardlets, inFlightMoves: snap.inFlightMoves });
  checkAborted(opts.signal);

  const input: RebalanceInput = {
    hosts: snap.hosts,
    shardlets: opts.streamId ? snap.shardlets.map((s) => (s.streamId === opts.streamId ? s : { ...s, state: "other-stream" })) : snap.shardlets,
    settings,
    now,
    recentMoves: snap.recentMoves,
    inFlight: snap.inFlight,
    inFlightMoves: snap.inFlightMoves,
    labels: snap.labels,
    moveCost: { setupSec: capacity.moveSetupSec, copyBytesPerSec: (await copySpeedFor(db, capacity.copyBytesPerSec)).bytesPerSec },
    ...(outlook.size > 0 ? { outlook, outlookLeadSec: settings.outlookLeadSec } : {}),
  };
  // Undecided proposals whose load has gone are withdrawn before planning, so that this run plans
  // without them (and may propose what the cluster needs now instead).
  const unneeded = staleRebalanceReasons(input, snap.undecided.filter((m) => m.origin === "rebalancer"));
  if (unneeded.size > 0) {
    const gone = new Set(await withdrawProposals(db, unneeded, { now: new Date(now), actor: "rebalancer" }));
    withdrawn += gone.size;
    for (const m of snap.undecided) {
      if (!gone.has(m.id)) continue;
      snap.inFlight.delete(m.shardletId);
      snap.inFlightMoves.delete(m.shardletId);
      const open = snap.openBySource.get(m.origin);
      open?.set(m.sourceHostId, Math.max(0, (open.get(m.sourceHostId) ?? 1) - 1));
    }
  }
  const result: RebalanceRunResult = { created: [], duplicates: 0, withdrawn, notes: [], drainingHosts: 0, enabled: settings.enabled };
  const by = opts.actor ? `rebalancer (run by ${opts.actor})` : "rebalancer";
  const keep = async (p: MoveProposal, origin: MigrationOrigin, phase: "proposed" | "approved") => {
    const { id, created } = await store(db, p, origin, phase, origin === "drain" ? `drain (${by})` : by, snap.epochs.get(p.shardletId) ?? 0);
    if (!created) {
      result.duplicates++;
      return;
    }
    result.created.push({ id, origin, phase, shardletId: p.shardletId });
    // Later plans in this run see the move as under way.
    snap.inFlight.add(p.shardletId);
    snap.inFlightMoves.set(p.shardletId, p.destHostId);
  };

  const draining = snap.hosts.filter((h) => h.status === "draining");
  const history = draining.length > 0 ? await sealedHistory(db, settings.drainHistory, draining, input, snap.epochs) : [];
  for (const host of draining) {
    result.drainingHosts++;
    const open = snap.openBySource.get("drain")?.get(host.id) ?? 0;
    const plan = planDrain(host.id, input, { limit: Math.max(0, settings.maxProposalsPerRun - open) });
    // Sealed history on the host: it holds data until that is copied off or expires (the history plan says which).
    const holdsHistory = history.some((s) => s.hostId === host.id);
    result.notes.push(...plan.notes.filter((n) => !(holdsHistory && n.hostId === host.id && !n.shardletId && n.message.endsWith("it can be retired."))));
    for (const p of plan.proposals) await keep(p, "drain", "approved");
    // Once its routed shardlets are handed off, the history they left (drainHistory: copy it, or let it expire).
    const left = Math.max(0, settings.maxProposalsPerRun - open - plan.proposals.length);
    const historyPlan = planDrainHistory(host.id, input, history, { limit: left });
    result.notes.push(...historyPlan.notes);
    for (const p of historyPlan.proposals) await keep(p, "drain", "approved");
    checkAborted(opts.signal);
  }

  const plan = planRebalance(input);
  result.notes.push(...plan.notes);
  for (const p of plan.proposals) await keep(p, "rebalancer", settings.autoApprove ? "approved" : "proposed");
  await replacePlannerNotes(db, "rebalancer", result.notes, new Date(now));

  if (opts.queue) {
    for (const c of result.created) if (c.phase === "approved") await startMigration(opts.queue, c.id);
  }
  const proposed = result.created.filter((c) => c.phase === "proposed").length;
  const approved = result.created.length - proposed;
  if (result.created.length > 0 || withdrawn > 0) {
    log.info("rebalance plan", { proposed, approved, duplicates: result.duplicates, withdrawn, drainingHosts: result.drainingHosts, notes: result.notes.length });
  } else {
    log.debug("rebalance plan", { duplicates: result.duplicates, drainingHosts: result.drainingHosts, notes: result.notes.length });
  }
  return result;
}
