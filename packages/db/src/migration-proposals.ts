import { isMigrationPhase, ShardcastError, TERMINAL_MIGRATION_PHASES, type MigrationOrigin, type MigrationPhase } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { Prisma } from "./generated/prisma/client.ts";

/**
 * The decision side of migrations: proposals (from the rebalancer, the analyzer, drains and
 * operators) and what people decide about them (approve, schedule, reject, cancel). Every decision
 * is a conditional update on the phase it started from, so two people (or a person and the mover)
 * deciding at once cannot both win, and every decision appends to the migration's event log.
 * The mover owns everything from `approved`/`scheduled` onward.
 */

type Tx = Prisma.TransactionClient;

export const MIGRATION_ORIGINS: readonly MigrationOrigin[] = ["rebalancer", "analyzer", "manual", "drain"];
const TERMINAL = [...TERMINAL_MIGRATION_PHASES];

export interface NewMigrationProposal {
  streamId: string;
  shardletId: string;
  sourceHostId: string;
  destHostId: string;
  origin: MigrationOrigin;
  reason: string;
  urgencySec?: number;
  expectedBenefit: number;
  expectedLoad: unknown;
  feasibility: unknown;
  bytesToMove: number;
  shardletEpoch: number;
  proposedBy?: string;
  phase?: "proposed" | "approved";
}

/** Who decided: a signed-in user's email, or a component ("rebalancer", "auto-approve"). */
export interface MigrationActor {
  id?: string | null;
  email: string;
}

function json(value: unknown): Prisma.InputJsonValue | typeof Prisma.DbNull {
  return value === undefined || value === null ? Prisma.DbNull : (JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue);
}

async function logEvent(tx: Tx, migrationId: string, phase: string, message: string, details?: Record<string, unknown>): Promise<void> {
  await tx.migrationEvent.create({ data: { migrationId, phase, level: "info", message, details: json(details) } });
}

function checkProposal(p: NewMigrationProposal): void {
  const bad: Array<{ index: number; path: string; message: string }> = [];
  const need = (ok: boolean, path: string, message: string) => {
    if (!ok) bad.push({ index: 0, path, message: `${path}: ${message}` });
  };
  for (const f of ["streamId", "shardletId", "sourceHostId", "destHostId"] as const) need(typeof p[f] === "string" && p[f].length > 0, f, "required");
  need(p.sourceHostId !== p.destHostId, "destHostId", "must differ from the source host");
  need(MIGRATION_ORIGINS.includes(p.origin), "origin", `must be one of ${MIGRATION_ORIGINS.join(", ")}`);
  need(typeof p.reason === "string" && p.reason.trim().length > 0 && p.reason.length <= 4000, "reason", "must have 1 to 4,000 characters");
  need(Number.isFinite(p.expectedBenefit), "expectedBenefit", "must be a finite number");
  need(Number.isFinite(p.bytesToMove) && p.bytesToMove >= 0, "bytesToMove", "must be a number of bytes >= 0");
  need(Number.isInteger(p.shardletEpoch) && p.shardletEpoch >= 0, "shardletEpoch", "must be a whole number >= 0");
  need(p.urgencySec === undefined || Number.isFinite(p.urgencySec), "urgencySec", "must be a finite number of seconds");
  need(p.phase === undefined || p.phase === "proposed" || p.phase === "approved", "phase", 'must be "proposed" or "approved"');
  if (bad.length > 0) throw new ShardcastError("validation_failed", `invalid migration proposal: ${bad.map((b) => b.message).join("; ")}`, { rejected: bad });
}

/**
 * Stores a proposed (or, with an auto-approve policy, approved) migration and logs who proposed it
 * and why. At most one open (non-terminal) migration exists per shardlet: when one does, nothing is
 * stored and its id comes back with `created: false`. Proposals for the same shardlet are
 * serialised with a transaction-scoped advisory lock, so concurrent planners cannot both create one.
 */
export async function createMigrationProposal(db: ControlDb, p: NewMigrationProposal): Promise<{ id: string; created: boolean }> {
  checkProposal(p);
  const phase = p.phase ?? "proposed";
  const who = p.proposedBy ?? p.origin;
  return db.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${"migration:" + p.shardletId}))`;
    const open = await tx.migration.findFirst({
      where: { shardletId: p.shardletId, phase: { notIn: TERMINAL } },
      select: { id: true },
      orderBy: { createdAt: "asc" },
    });
    if (open) return { id: open.id, created: false };
    const now = new Date();
    const row = await tx.migration.create({
      data: {
        streamId: p.streamId,
        shardletId: p.shardletId,
        sourceHostId: p.sourceHostId,
        destHostId: p.destHostId,
        phase,
        origin: p.origin,
        reason: p.reason.trim(),
        urgencySec: p.urgencySec === undefined ? null : Math.round(p.urgencySec),
        expectedBenefit: p.expectedBenefit,
        expectedLoad: json(p.expectedLoad),
        feasibility: json(p.feasibility),
        bytesToMove: BigInt(Math.round(p.bytesToMove)),
        shardletEpoch: p.shardletEpoch,
        proposedBy: who,
        ...(phase === "approved" ? { decidedBy: who, decidedAt: now } : {}),
      },
      select: { id: true },
    });
    await logEvent(tx, row.id, "proposed", `Proposed by ${who}${who.startsWith(p.origin) ? "" : ` (${p.origin})`}: ${p.reason.trim()}`, { actor: who, origin: p.origin });
    if (phase === "approved") {
      const why = p.origin === "drain" ? "part of draining the host" : p.origin === "manual" ? "an operator's own move" : "auto-approve policy";
      await logEvent(tx, row.id, "approved", `Approved at once by ${who}: ${why}.`, { actor: who });
    }
    return { id: row.id, created: true };
  });
}

interface Current {
  id: string;
  phase: MigrationPhase;
  shardletId: string;
  sourceHostId: string;
  destHostId: string;
  shardletEpoch: number;
  cancelRequested: boolean;
}

async function current(db: ControlDb | Tx, id: string): Promise<Current> {
  const m = await db.migration.findUnique({
    where: { id },
    select: { id: true, phase: true, shardletId: true, sourceHostId: true, destHostId: true, shardletEpoch: true, cancelRequested: true },
  });
  if (!m) throw new ShardcastError("not_found", `Migration ${id} does not exist.`);
  if (!isMigrationPhase(m.phase)) throw new ShardcastError("internal", `migration ${id} has an unknown phase "${m.phase}"`);
  return { ...m, phase: m.phase };
}

/**
 * Refuses to start a migration whose premise no longer holds: the shardlet was split, merged or
 * moved since it was proposed (its epoch changed), or the destination stopped taking data.
 */
async function requireStillValid(db: ControlDb, m: Current): Promise<void> {
  const [s, dest] = await Promise.all([
    db.shardlet.findUnique({ where: { id: m.shardletId }, select: { state: true, epoch: true, hostId: true } }),
    db.host.findUnique({ where: { id: m.destHostId }, select: { status: true, name: true } }),
  ]);
  if (!s || s.state === "retired") {
    throw new ShardcastError("conflict", "The shardlet no longer exists (it was split or merged since this was proposed); reject the proposal.", { reason: "stale" });
  }
  if (s.hostId !== m.sourceHostId) throw new ShardcastError("conflict", "The shardlet moved to another host since this was proposed; reject the proposal.", { reason: "stale" });
  if (s.epoch !== m.shardletEpoch) {
    throw new ShardcastError("conflict", `The shardlet changed since this was proposed (epoch ${m.shardletEpoch} -> ${s.epoch}); reject the proposal.`, { reason: "stale" });
  }
  if (!dest) throw new ShardcastError("conflict", "The destination host is no longer registered.");
  if (dest.status !== "active") throw new ShardcastError("conflict", `The destination host ${dest.name} is ${dest.status}; moves go only to active hosts.`);
}

function raced(id: string): ShardcastError {
  return new ShardcastError("conflict", `Migration ${id} changed while you decided (someone else acted first); reload and try again.`);
}

/**
 * proposed | scheduled -> approved (the mover starts it), or -> scheduled for `window` when the
 * migration must wait for the configured migration window. Approving a scheduled migration starts
 * it now.
 */
export async function approveMigration(
  db: ControlDb,
  id: string,
  actor: MigrationActor,
  opts: { window?: { start: Date; end: Date; label: string } } = {},
): Promise<{ phase: "approved" | "scheduled" }> {
  const m = await current(db, id);
  if (m.phase === "approved") throw new ShardcastError("conflict", "This migration is already approved.");
  if (m.phase !== "proposed" && m.phase !== "scheduled") {
    throw new ShardcastError("conflict", `This migration is ${m.phase}; only a proposed or scheduled migration can be approved.`, { phase: m.phase });
  }
  await requireStillValid(db, m);
  const wait = m.phase === "proposed" ? opts.window : undefined;
  const phase = wait ? "scheduled" : "approved";
  const now = new Date();
  await db.$transaction(async (tx) => {
    const { count } = await tx.migration.updateMany({
      where: { id, phase: m.phase },
      data: {
        phase,
        decidedBy: actor.email,
        decidedAt: now,
        ...(wait ? { windowStart: wait.start, windowEnd: wait.end } : { windowStart: null, windowEnd: null }),
      },
    });
    if (count !== 1) throw raced(id);
    await logEvent(
      tx,
      id,
      phase,
      wait
        ? `Approved by ${actor.email}; waits for the migration window ${wait.label} (opens ${wait.start.toISOString()}).`
        : m.phase === "scheduled"
          ? `Approved by ${actor.email} to start now instead of in its window.`
          : `Approved by ${actor.email}.`,
      { actor: actor.email },
    );
  });
  return { phase };
}

const MAX_SCHEDULE_AHEAD_MS = 90 * 86_400_000;
const PAST_GRACE_MS = 60_000;

/** proposed | approved | scheduled -> scheduled with an allowed window [start, end). */
export async function scheduleMigration(
  db: ControlDb,
  id: string,
  window: { start: Date; end: Date },
  actor: MigrationActor,
  now: Date = new Date(),
): Promise<void> {
  const bad: Array<{ index: number; path: string; message: string }> = [];
  const start = window.start.getTime();
  const end = window.end.getTime();
  if (!Number.isFinite(start)) bad.push({ index: 0, path: "windowStart", message: "windowStart: enter a start time" });
  if (!Number.isFinite(end)) bad.push({ index: 0, path: "windowEnd", message: "windowEnd: enter an end time" });
  if (bad.length === 0) {
    if (start < now.getTime() - PAST_GRACE_MS) bad.push({ index: 0, path: "windowStart", message: "windowStart: the window must start in the future" });
    if (end <= start) bad.push({ index: 0, path: "windowEnd", message: "windowEnd: the window must end after it starts" });
    if (start > now.getTime() + MAX_SCHEDULE_AHEAD_MS) bad.push({ index: 0, path: "windowStart", message: "windowStart: the window must start within 90 days" });
  }
  if (bad.length > 0) throw new ShardcastError("validation_failed", bad.map((b) => b.message).join("; "), { rejected: bad });
  const m = await current(db, id);
  if (m.phase !== "proposed" && m.phase !== "approved" && m.phase !== "scheduled") {
    throw new ShardcastError("conflict", `This migration is ${m.phase}; only a proposed, approved or scheduled migration can be scheduled.`, { phase: m.phase });
  }
  await requireStillValid(db, m);
  await db.$transaction(async (tx) => {
    const { count } = await tx.migration.updateMany({
      where: { id, phase: m.phase },
      data: { phase: "scheduled", windowStart: window.start, windowEnd: window.end, decidedBy: actor.email, decidedAt: new Date() },
    });
    if (count !== 1) throw raced(id);
    await logEvent(
      tx,
      id,
      "scheduled",
      `${m.phase === "scheduled" ? "Rescheduled" : "Scheduled"} by ${actor.email} for the window ${window.start.toISOString()} – ${window.end.toISOString()}.`,
      { actor: actor.email, windowStart: window.start.toISOString(), windowEnd: window.end.toISOString() },
    );
  });
}

/** proposed -> rejected. */
export async function rejectMigration(db: ControlDb, id: string, actor: MigrationActor, reason?: string): Promise<void> {
  const m = await current(db, id);
  if (m.phase !== "proposed") {
    throw new ShardcastError("conflict", `This migration is ${m.phase}; only a proposal can be rejected (cancel it instead).`, { phase: m.phase });
  }
  const why = reason?.trim();
  await db.$transaction(async (tx) => {
    const { count } = await tx.migration.updateMany({
      where: { id, phase: "proposed" },
      data: { phase: "rejected", decidedBy: actor.email, decidedAt: new Date(), finishedAt: new Date() },
    });
    if (count !== 1) throw raced(id);
    await logEvent(tx, id, "rejected", `Rejected by ${actor.email}${why ? `: ${why}` : "."}`, { actor: actor.email, ...(why ? { reason: why } : {}) });
  });
}

const NOT_STARTED: readonly MigrationPhase[] = ["proposed", "approved", "scheduled"];
const COPY_PHASES: readonly MigrationPhase[] = ["copying", "verifying"];

export type CancelOutcome =
  /** It had not started: cancelled at once. */
  | "cancelled"
  /** It is copying or verifying: the mover stops at its next step and cleans the destination. */
  | "requested";

/**
 * Cancels a migration. One that has not started becomes `cancelled` at once; one that is copying
 * or verifying gets `cancelRequested` (the mover returns everything to the start state). From the
 * switch on, a cancel cannot return to the start: refused with a clear message.
 */
export async function requestMigrationCancel(db: ControlDb, id: string, actor: MigrationActor): Promise<{ outcome: CancelOutcome; phase: MigrationPhase }> {
  // The mover may move the phase between our read and our write: retry on the new phase.
  for (let attempt = 0; attempt < 3; attempt++) {
    const m = await current(db, id);
    if (TERMINAL_MIGRATION_PHASES.has(m.phase)) throw new ShardcastError("conflict", `This migration is already ${m.phase}.`, { phase: m.phase });
    if (m.phase === "switching" || m.phase === "cleanup") {
      throw new ShardcastError(
        "conflict",
        `This migration is ${m.phase}: the shardlet already switched (or is switching) to the destination, so a cancel can no longer return it to the start. It will finish.`,
        { phase: m.phase },
      );
    }
    if (NOT_STARTED.includes(m.phase)) {
      const done = await db.$transaction(async (tx) => {
        const { count } = await tx.migration.updateMany({
          where: { id, phase: m.phase },
          data: { phase: "cancelled", cancelRequested: true, finishedAt: new Date() },
        });
        if (count !== 1) return false;
        await logEvent(tx, id, "cancelled", `Cancelled by ${actor.email} before it started (was ${m.phase}).`, { actor: actor.email, from: m.phase });
        return true;
      });
      if (done) return { outcome: "cancelled", phase: "cancelled" };
      continue;
    }
    if (COPY_PHASES.includes(m.phase)) {
      if (m.cancelRequested) return { outcome: "requested", phase: m.phase };
      const done = await db.$transaction(async (tx) => {
        const { count } = await tx.migration.updateMany({ where: { id, phase: { in: [...COPY_PHASES] } }, data: { cancelRequested: true } });
        if (count !== 1) return false;
        await logEvent(tx, id, m.phase, `Cancel requested by ${actor.email} during ${m.phase}: the mover stops, removes the copied rows from the destination and leaves the source as it was.`, {
          actor: actor.email,
        });
        return true;
      });
      if (done) return { outcome: "requested", phase: m.phase };
      continue;
    }
  }
  throw raced(id);
}

/**
 * Withdraws open proposals of the given origins whose premise is gone: the shardlet changed (split,
 * merged, moved: its epoch or host differs), the destination stopped taking data, or nobody decided
 * within `ttlMs`. Returns how many were withdrawn (they end `cancelled`, with the reason logged).
 */
export async function withdrawStaleProposals(
  db: ControlDb,
  opts: { origins: readonly MigrationOrigin[]; now: Date; ttlMs: number; actor: string },
): Promise<number> {
  const open = await db.migration.findMany({
    where: { phase: "proposed", origin: { in: [...opts.origins] } },
    select: { id: true, shardletId: true, sourceHostId: true, destHostId: true, shardletEpoch: true, createdAt: true },
  });
  if (open.length === 0) return 0;
  const [shardlets, hosts] = await Promise.all([
    db.shardlet.findMany({ where: { id: { in: [...new Set(open.map((m) => m.shardletId))] } }, select: { id: true, state: true, epoch: true, hostId: true } }),
    db.host.findMany({ select: { id: true, status: true, name: true } }),
  ]);
  const byShardlet = new Map(shardlets.map((s) => [s.id, s]));
  const byHost = new Map(hosts.map((h) => [h.id, h]));
  let withdrawn = 0;
  for (const m of open) {
    const s = byShardlet.get(m.shardletId);
    const dest = byHost.get(m.destHostId);
    let why: string | null = null;
    if (!s || s.state === "retired") why = "the shardlet no longer exists (split or merged since)";
    else if (s.hostId !== m.sourceHostId || s.epoch !== m.shardletEpoch) why = `the shardlet changed since (epoch ${m.shardletEpoch} -> ${s.epoch})`;
    else if (!dest || dest.status !== "active") why = `the destination ${dest?.name ?? "host"} is ${dest?.status ?? "gone"}`;
    else if (m.createdAt.getTime() < opts.now.getTime() - opts.ttlMs) why = `nobody decided within ${Math.round(opts.ttlMs / 60_000)} min and the loads have moved on`;
    if (!why) continue;
    const reason = why;
    const done = await db.$transaction(async (tx) => {
      const { count } = await tx.migration.updateMany({
        where: { id: m.id, phase: "proposed" },
        data: { phase: "cancelled", decidedBy: opts.actor, decidedAt: opts.now, finishedAt: opts.now },
      });
      if (count !== 1) return false;
      await logEvent(tx, m.id, "cancelled", `Withdrawn by the ${opts.actor}: ${reason}. The next run proposes again if still needed.`, { actor: opts.actor });
      return true;
    });
    if (done) withdrawn++;
  }
  return withdrawn;
}

/**
 * Cancels the drain moves off a host that have not started (the host is taken back into service).
 * Running ones finish. Returns how many were cancelled.
 */
export async function cancelPendingDrainMoves(db: ControlDb, hostId: string, actor: MigrationActor): Promise<number> {
  const pending = await db.migration.findMany({
    where: { origin: "drain", sourceHostId: hostId, phase: { in: [...NOT_STARTED] } },
    select: { id: true, phase: true },
  });
  let cancelled = 0;
  for (const m of pending) {
    const done = await db.$transaction(async (tx) => {
      const { count } = await tx.migration.updateMany({ where: { id: m.id, phase: m.phase }, data: { phase: "cancelled", cancelRequested: true, finishedAt: new Date() } });
      if (count !== 1) return false;
      await logEvent(tx, m.id, "cancelled", `Cancelled by ${actor.email}: the host is no longer being drained.`, { actor: actor.email });
      return true;
    });
    if (done) cancelled++;
  }
  return cancelled;
}
