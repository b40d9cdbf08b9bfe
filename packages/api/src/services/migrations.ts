import { isAnyTime, planManualMove, ShardcastError, windowAt, windowLabel, type MoveMode, type MoveProposal, type RebalanceInput } from "@shardcast/core";
import { formatBytes } from "@shardcast/core/format";
import { fmtRate } from "@shardcast/core/placement/format";
import {
  approveMigration,
  createMigrationProposal,
  getMigration,
  getRebalanceSettings,
  getShardletPlacement,
  listMigrations,
  listSealedShardlets,
  loadPlacementSnapshot,
  type ControlDb,
  type MigrationActor,
  type MigrationEventInfo,
  type MigrationListView,
  type MigrationSummary,
} from "@shardcast/db";
import { listMigrationModes } from "@shardcast/db/handoff-views";
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
  mode: MoveMode;
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

export function migrationView(m: MigrationSummary, mode: MoveMode): MigrationView {
  const range = m.range ? rangeView(m.range.lo, m.range.hi) : null;
  return {
    ...m,
    mode,
    range,
    shardletLabel: range ? `${m.streamName} ${range.loHex}–${range.lastHex}` : `${m.streamName} …${m.shardletId.slice(-8)}`,
    expectedLoad: asLoad(m),
    feasibility: asFeasibility(m.feasibility),
  };
}

/** One page of a list view, each migration with its mode. */
export async function listMigrationViews(
  db: ControlDb,
  query: { view: MigrationListView; limit: number; offset?: number; streamId?: string },
): Promise<{ items: MigrationView[]; total: number }> {
  const page = await listMigrations(db, query);
  const modes = await listMigrationModes(db, page.items.map((m) => m.id));
  return { items: page.items.map((m) => migrationView(m, modes.get(m.id) ?? "copy")), total: page.total };
}

/** The history a hand-off left on its source: the sealed shardlet, readable there until it expires. */
export interface HandoffHistory {
  hostId: string;
  hostName: string;
  sizeBytes: number;
  eventCount: number;
  sealedAt: Date;
  expiresAt: Date;
}

export interface MigrationDetailView extends MigrationView {
  events: MigrationEventInfo[];
  /** A hand-off's sealed source while its history is kept (null for copies, and before the seal or after it expired). */
  history: HandoffHistory | null;
}

/** One migration with its event log and, for a hand-off, the history it left on the source. */
export async function migrationDetail(db: ControlDb, id: string): Promise<MigrationDetailView> {
  const m = await getMigration(db, id);
  const mode = (await listMigrationModes(db, [id])).get(id) ?? "copy";
  const sealed = mode === "handoff" ? (await listSealedShardlets(db, { streamId: m.streamId, hostId: m.sourceHostId })).find((s) => s.id === m.shardletId) : undefined;
  const history = sealed
    ? { hostId: sealed.hostId, hostName: m.sourceHostName, sizeBytes: sealed.sizeBytes, eventCount: sealed.eventCount, sealedAt: sealed.sealedAt, expiresAt: sealed.expiresAt }
    : null;
  return { ...migrationView(m, mode), events: m.events, history };
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

/** A manual hand-off's reason, worded like the planner's manual move but saying what stays. */
function handoffReason(p: MoveProposal, labels: ReadonlyMap<string, string>, historyBytes: number, actor: string): string {
  const name = (id: string) => labels.get(id) ?? id;
  const load = (id: string) => {
    const l = p.expectedLoad[id];
    return l ? ` (${fmtRate(l.before)} -> ${fmtRate(l.after)})` : "";
  };
  return (
    `Requested by ${actor}: hand ${name(p.shardletId)} off from ${name(p.sourceHostId)}${load(p.sourceHostId)} to ${name(p.destHostId)}${load(p.destHostId)}; ` +
    `its history (${formatBytes(historyBytes)}) stays on ${name(p.sourceHostId)}, readable until the stream's retention drops it, and no row is copied.`
  );
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
  input: { shardletId: string; destHostId: string; mode: MoveMode },
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
  const handoff = input.mode === "handoff";
  const historyBytes = snap.shardlets.find((s) => s.id === input.shardletId)?.sizeBytes ?? 0;
  const planInput: RebalanceInput = {
    hosts: snap.hosts,
    // A hand-off leaves the history where it is: the destination takes the load and no bytes, so
    // its storage headroom, the copy bandwidth and the window's copy time do not apply.
    shardlets: handoff ? snap.shardlets.map((s) => (s.id === input.shardletId ? { ...s, sizeBytes: 0 } : s)) : snap.shardlets,
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
    mode: input.mode,
    reason: handoff ? handoffReason(proposal, snap.labels, historyBytes, actor.email) : proposal.reason,
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
    message: handoff
      ? `Handing ${label} off to ${dest}: the mover starts now${note}; no row is copied, its history stays readable on ${snap.labels.get(proposal.sourceHostId) ?? proposal.sourceHostId} until the stream's retention drops it.`
      : `Moving ${label} to ${dest}: the mover starts now${note}.`,
    shardletLabel: label,
    streamId: proposal.streamId,
    sourceHostId: proposal.sourceHostId,
  };
  await created(move);
  await queueFollowUp(() => startMigrationJob(queue, stored.id), `The move of ${label} to ${dest} is approved.`, SCHEDULER_STARTS_IT);
  return move;
}
