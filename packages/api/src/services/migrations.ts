import { isAnyTime, planManualMove, ShardcastError, windowAt, windowLabel, type RebalanceInput } from "@shardcast/core";
import {
  approveMigration,
  createMigrationProposal,
  getRebalanceSettings,
  getShardletPlacement,
  loadPlacementSnapshot,
  type ControlDb,
  type MigrationActor,
  type MigrationDetail,
  type MigrationSummary,
} from "@shardcast/db";
import { enqueue, type JobQueue } from "@shardcast/jobs";
import { queueFollowUp } from "./follow-up.ts";
import { rangeView, type RangeView } from "../routers/shared.ts";

/**
 * The console's side of migrations: decisions that must also queue the mover, manual moves, and
 * the shape the console reads (host names, ranges, expected load as a list).
 */

/**
 * The dedup id and window the mover's scheduler uses too, so a migration started here and by the
 * scheduler at once is queued once (the mover's run lock keeps a second run out regardless).
 */
const RUN_DEDUP_TTL_MS = 10_000;
export function migrationRunJobId(migrationId: string): string {
  return `migration-${migrationId}`;
}

export async function startMigrationJob(queue: JobQueue, migrationId: string): Promise<string> {
  const job = await enqueue(queue, "migration.run", { migrationId }, { deduplication: { id: migrationRunJobId(migrationId), ttl: RUN_DEDUP_TTL_MS } });
  return job.id ?? "";
}

export interface LoadChange {
  hostId: string;
  hostName: string;
  before: number;
  after: number;
}

export interface Check {
  ok: boolean;
  detail: string;
}

export interface MigrationView extends Omit<MigrationSummary, "expectedLoad" | "feasibility" | "range"> {
  range: RangeView | null;
  /** "orders 0x00000000–0x3fffffff" */
  shardletLabel: string;
  expectedLoad: LoadChange[];
  feasibility: { headroom: Check; bandwidth: Check; window: Check } | null;
}

function asCheck(v: unknown): Check | null {
  if (typeof v !== "object" || v === null) return null;
  const o = v as { ok?: unknown; detail?: unknown };
  return typeof o.ok === "boolean" && typeof o.detail === "string" ? { ok: o.ok, detail: o.detail } : null;
}

function asFeasibility(v: unknown): MigrationView["feasibility"] {
  if (typeof v !== "object" || v === null) return null;
  const o = v as Record<string, unknown>;
  const headroom = asCheck(o.headroom);
  const bandwidth = asCheck(o.bandwidth);
  const window = asCheck(o.window);
  return headroom && bandwidth && window ? { headroom, bandwidth, window } : null;
}

function asLoad(m: MigrationSummary): LoadChange[] {
  const v = m.expectedLoad;
  if (typeof v !== "object" || v === null || Array.isArray(v)) return [];
  const names = new Map([
    [m.sourceHostId, m.sourceHostName],
    [m.destHostId, m.destHostName],
  ]);
  const out: LoadChange[] = [];
  for (const [hostId, value] of Object.entries(v as Record<string, unknown>)) {
    const o = value as { before?: unknown; after?: unknown } | null;
    if (!o || typeof o.before !== "number" || typeof o.after !== "number") continue;
    out.push({ hostId, hostName: names.get(hostId) ?? hostId, before: o.before, after: o.after });
  }
  // Source first, then the destination.
  return out.sort((a, b) => (a.hostId === m.sourceHostId ? -1 : b.hostId === m.sourceHostId ? 1 : a.hostId.localeCompare(b.hostId)));
}

export function migrationView(m: MigrationSummary): MigrationView {
  const range = m.range ? rangeView(m.range.lo, m.range.hi) : null;
  return {
    ...m,
    range,
    shardletLabel: range ? `${m.streamName} ${range.loHex}–${range.lastHex}` : `${m.streamName} …${m.shardletId.slice(-8)}`,
    expectedLoad: asLoad(m),
    feasibility: asFeasibility(m.feasibility),
  };
}

export function migrationDetailView(m: MigrationDetail): MigrationView & { events: MigrationDetail["events"] } {
  return { ...migrationView(m), events: m.events };
}

/** What a 503 says of an approved migration whose run could not be queued. */
const SCHEDULER_STARTS_IT = "the migration scheduler starts it on its next run (every few seconds once the queue is back).";

/**
 * Approves a migration and queues the mover. When the rebalance settings restrict migrations to a
 * daily window that is closed now, the migration is scheduled for the next window instead.
 * `approved` runs once the approval is committed and before the mover is queued, so the approval
 * is recorded even when the queue is down.
 */
export async function approveAndStart(
  db: ControlDb,
  queue: JobQueue,
  id: string,
  actor: MigrationActor,
  now: number,
  approved: (phase: "approved" | "scheduled") => Promise<void>,
): Promise<{ phase: "approved" | "scheduled"; message: string }> {
  const settings = await getRebalanceSettings(db);
  const w = windowAt(now, settings);
  const wait = !w.anyTime && !w.open ? { start: new Date(w.start), end: new Date(w.end), label: windowLabel(settings) } : undefined;
  const { phase } = await approveMigration(db, id, actor, wait ? { window: wait } : {});
  await approved(phase);
  if (phase === "approved") {
    await queueFollowUp(() => startMigrationJob(queue, id), "Approved.", SCHEDULER_STARTS_IT);
    return { phase, message: "Approved: the mover starts it now." };
  }
  return { phase, message: `Approved: it waits for the migration window ${windowLabel(settings)}, next opening ${wait!.start.toISOString()}.` };
}

export interface ManualMove {
  migrationId: string;
  message: string;
  shardletLabel: string;
  streamId: string;
  sourceHostId: string;
}

/**
 * An operator's "move shardlet S to host H": checked like the rebalancer's moves (destination
 * headroom, shardlet and hosts active, nothing already moving it), stored approved and started.
 * `created` runs once the approved migration is committed and before the mover is queued, so the
 * move is recorded even when the queue is down.
 */
export async function moveShardlet(
  db: ControlDb,
  queue: JobQueue,
  input: { shardletId: string; destHostId: string },
  actor: MigrationActor,
  now: number,
  created: (move: ManualMove) => Promise<void>,
): Promise<ManualMove> {
  const settings = await getRebalanceSettings(db);
  const snap = await loadPlacementSnapshot(db, { now, cooldownMs: settings.cooldownSec * 1000 });
  const known = snap.shardlets.some((s) => s.id === input.shardletId);
  if (!known) {
    const row = await getShardletPlacement(db, input.shardletId);
    throw new ShardcastError(row ? "conflict" : "not_found", row ? `This shardlet is ${row.state}; only a live shardlet can move.` : `Shardlet ${input.shardletId} does not exist.`);
  }
  if (!snap.hosts.some((h) => h.id === input.destHostId)) throw new ShardcastError("not_found", `Host ${input.destHostId} does not exist.`);
  const planInput: RebalanceInput = {
    hosts: snap.hosts,
    shardlets: snap.shardlets,
    settings,
    now,
    inFlight: snap.inFlight,
    inFlightMoves: snap.inFlightMoves,
    labels: snap.labels,
  };
  const { proposal, problems } = planManualMove(planInput, input.shardletId, input.destHostId, actor.email);
  if (!proposal || problems.length > 0) throw new ShardcastError("conflict", problems.join(" "), { problems });
  const stored = await createMigrationProposal(db, {
    streamId: proposal.streamId,
    shardletId: proposal.shardletId,
    sourceHostId: proposal.sourceHostId,
    destHostId: proposal.destHostId,
    origin: "manual",
    reason: proposal.reason,
    expectedBenefit: proposal.benefit,
    expectedLoad: proposal.expectedLoad,
    feasibility: proposal.feasibility,
    bytesToMove: proposal.bytesToMove,
    shardletEpoch: snap.epochs.get(proposal.shardletId) ?? 0,
    proposedBy: actor.email,
    phase: "approved",
  });
  if (!stored.created) throw new ShardcastError("conflict", "This shardlet already has an open migration; cancel or finish it first.", { migrationId: stored.id });
  const label = snap.labels.get(proposal.shardletId) ?? proposal.shardletId;
  const dest = snap.labels.get(proposal.destHostId) ?? proposal.destHostId;
  const note = isAnyTime(settings) ? "" : " (manual moves do not wait for the migration window)";
  const move: ManualMove = {
    migrationId: stored.id,
    message: `Moving ${label} to ${dest}: the mover starts now${note}.`,
    shardletLabel: label,
    streamId: proposal.streamId,
    sourceHostId: proposal.sourceHostId,
  };
  await created(move);
  await queueFollowUp(() => startMigrationJob(queue, stored.id), `The move of ${label} to ${dest} is approved.`, SCHEDULER_STARTS_IT);
  return move;
}
