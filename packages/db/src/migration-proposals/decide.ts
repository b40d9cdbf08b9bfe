import { checkMigrationPremise, checkMigrationWindow, isMigrationPhase, ShardcastError, TERMINAL_MIGRATION_PHASES, type MigrationPhase } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { logEvent, type Tx } from "./events.ts";

/** Who decided: a signed-in user's email, or a component ("rebalancer", "auto-approve"). */
export interface MigrationActor {
  id?: string | null;
  email: string;
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
  checkMigrationPremise(m, s, dest);
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

/** proposed | approved | scheduled -> scheduled with an allowed window [start, end). */
export async function scheduleMigration(
  db: ControlDb,
  id: string,
  window: { start: Date; end: Date },
  actor: MigrationActor,
  now: Date = new Date(),
): Promise<void> {
  checkMigrationWindow(window, now);
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
