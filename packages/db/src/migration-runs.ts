import { canMoveMigration, isMigrationPhase, ShardcastError, type MigrationPhase, type MoveMode } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { num } from "./errors.ts";
import { Prisma, type Migration as MigrationRow } from "./generated/prisma/client.ts";
import type { MigrationEventLevel } from "./migration-events.ts";
import { operationData, type NewOperation } from "./operations.ts";
import { SHADOW_MIGRATION_PHASES } from "./routes.ts";

/**
 * Control-database side of running a migration: the persisted phase (written before each step,
 * checked against `canMoveMigration`, logged in the migration's event log in the same
 * transaction), progress figures, and the two writes that touch the shardlet: the epoch raise that
 * starts the copy and the mapping switch.
 */

export interface MigrationRun {
  id: string;
  streamId: string;
  shardletId: string;
  sourceHostId: string;
  destHostId: string;
  phase: MigrationPhase;
  origin: string;
  /** `handoff` seals the shardlet and opens a successor on the destination; `copy` moves its history. */
  mode: MoveMode;
  reason: string;
  /** Shardlet epoch at the proposal (0: not recorded; the start records the epoch it found). */
  shardletEpoch: number;
  rowsTotal: number;
  rowsCopied: number;
  /** Everything at or below this sequence is on the destination (copied, later verified). */
  copyCursor: number;
  copyTarget: number | null;
  copyRate: number;
  windowStart: Date | null;
  windowEnd: Date | null;
  cancelRequested: boolean;
  attempts: number;
  error: string | null;
  proposedBy: string | null;
  decidedBy: string | null;
  createdAt: Date;
  updatedAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
}

function toMigration(r: MigrationRow): MigrationRun {
  if (!isMigrationPhase(r.phase)) throw new ShardcastError("internal", `migration ${r.id} has unknown phase ${r.phase}`);
  return {
    id: r.id,
    streamId: r.streamId,
    shardletId: r.shardletId,
    sourceHostId: r.sourceHostId,
    destHostId: r.destHostId,
    phase: r.phase,
    origin: r.origin,
    mode: r.mode === "handoff" ? "handoff" : "copy",
    reason: r.reason,
    shardletEpoch: r.shardletEpoch,
    rowsTotal: num(r.rowsTotal),
    rowsCopied: num(r.rowsCopied),
    copyCursor: num(r.copyCursor),
    copyTarget: r.copyTarget === null ? null : num(r.copyTarget),
    copyRate: r.copyRate,
    windowStart: r.windowStart,
    windowEnd: r.windowEnd,
    cancelRequested: r.cancelRequested,
    attempts: r.attempts,
    error: r.error,
    proposedBy: r.proposedBy,
    decidedBy: r.decidedBy,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
  };
}

/** A line for the migration's event log, written with the change it describes. */
export interface MigrationLogLine {
  message: string;
  level?: MigrationEventLevel;
  details?: Record<string, unknown>;
}

type Tx = Prisma.TransactionClient;

/** Appends a line to a migration's event log, in the transaction of the change it describes. */
export async function logLine(tx: Tx, migrationId: string, phase: string, line: MigrationLogLine): Promise<void> {
  await tx.migrationEvent.create({
    data: {
      migrationId,
      phase,
      level: line.level ?? "info",
      message: line.message,
      details: line.details === undefined ? Prisma.DbNull : (line.details as Prisma.InputJsonValue),
    },
  });
}

export function movedElsewhere(id: string, from: MigrationPhase): ShardcastError {
  return new ShardcastError("conflict", `migration ${id} is no longer ${from}: another run or a cancel moved it`);
}

function checkMove(id: string, from: MigrationPhase, to: MigrationPhase): void {
  if (!canMoveMigration(from, to)) throw new ShardcastError("internal", `migration ${id} cannot move from ${from} to ${to}`);
}

export async function loadMigrationRun(db: ControlDb, id: string): Promise<MigrationRun | null> {
  const row = await db.migration.findUnique({ where: { id } });
  return row ? toMigration(row) : null;
}

/** Counts a run of the migration and clears its last error; returns the migration as it is now. */
export async function beginMigrationAttempt(db: ControlDb, id: string): Promise<MigrationRun> {
  try {
    return toMigration(await db.migration.update({ where: { id }, data: { attempts: { increment: 1 } } }));
  } catch (err) {
    if ((err as { code?: unknown }).code === "P2025") throw new ShardcastError("not_found", `unknown migration ${id}`);
    throw err;
  }
}

/**
 * Moves a migration from `from` to `to` (allowed by `canMoveMigration`) and logs the line, in one
 * transaction. Throws `conflict` when it was no longer at `from` (nothing written), or, with
 * `unlessCancelRequested`, when a cancel was requested meanwhile: a move past the last phase a
 * cancel can undo must not slip past a request that arrived after the caller last looked.
 */
export async function moveMigration(
  db: ControlDb,
  id: string,
  from: MigrationPhase,
  to: MigrationPhase,
  line: MigrationLogLine,
  patch: { copyCursor?: number; error?: string | null; unlessCancelRequested?: boolean } = {},
): Promise<void> {
  checkMove(id, from, to);
  await db.$transaction(async (tx) => {
    const { count } = await tx.migration.updateMany({
      where: { id, phase: from, finishedAt: null, ...(patch.unlessCancelRequested ? { cancelRequested: false } : {}) },
      data: {
        phase: to,
        error: patch.error === undefined ? null : patch.error,
        ...(patch.copyCursor !== undefined ? { copyCursor: BigInt(Math.round(patch.copyCursor)) } : {}),
      },
    });
    if (count !== 1) throw movedElsewhere(id, from);
    await logLine(tx, id, to, line);
  });
}

/**
 * The control side of starting the copy, in one transaction: the shardlet's epoch goes from
 * `fromEpoch` to `toEpoch` (it must still be active on the source at `fromEpoch`), and the
 * migration moves to `copying` with the epoch it started from recorded. Writers that load routes
 * afterwards see the new epoch together with the shadow host.
 */
export async function startMigrationCopy(
  db: ControlDb,
  m: { id: string; from: MigrationPhase; shardletId: string; sourceHostId: string; fromEpoch: number; toEpoch: number },
  line: MigrationLogLine,
): Promise<void> {
  checkMove(m.id, m.from, "copying");
  await db.$transaction(async (tx) => {
    const moved = await tx.migration.updateMany({
      where: { id: m.id, phase: m.from, finishedAt: null, cancelRequested: false },
      data: { phase: "copying", shardletEpoch: m.fromEpoch, startedAt: new Date(), error: null, copyCursor: 0n, rowsCopied: 0n, copyRate: 0 },
    });
    if (moved.count !== 1) throw movedElsewhere(m.id, m.from);
    const raised = await tx.shardlet.updateMany({
      where: { id: m.shardletId, hostId: m.sourceHostId, epoch: m.fromEpoch, state: "active" },
      data: { epoch: m.toEpoch },
    });
    if (raised.count !== 1) {
      throw new ShardcastError("conflict", `shardlet ${m.shardletId} changed while its migration was starting`, { shardletId: m.shardletId });
    }
    await logLine(tx, m.id, "copying", line);
  });
}

/** Progress figures of a running migration (not its phase). */
export async function updateMigrationProgress(
  db: ControlDb,
  id: string,
  patch: { copyCursor?: number; copyTarget?: number; rowsCopied?: number; rowsTotal?: number; copyRate?: number; error?: string | null },
): Promise<void> {
  await db.migration.update({
    where: { id },
    data: {
      ...(patch.copyCursor !== undefined ? { copyCursor: BigInt(Math.round(patch.copyCursor)) } : {}),
      ...(patch.copyTarget !== undefined ? { copyTarget: BigInt(Math.round(patch.copyTarget)) } : {}),
      ...(patch.rowsCopied !== undefined ? { rowsCopied: BigInt(Math.round(patch.rowsCopied)) } : {}),
      ...(patch.rowsTotal !== undefined ? { rowsTotal: BigInt(Math.round(patch.rowsTotal)) } : {}),
      ...(patch.copyRate !== undefined ? { copyRate: patch.copyRate } : {}),
      ...(patch.error !== undefined ? { error: patch.error === null ? null : patch.error.slice(0, 1000) } : {}),
    },
  });
}

/**
 * The mapping switch, in one transaction: the shardlet moves to the destination at `toEpoch`
 * (from the source at `fromEpoch`) and the migration from `switching` to `cleanup`. Throws
 * `conflict` when the shardlet is not where the migration expects it.
 */
export async function switchMigrationMapping(
  db: ControlDb,
  m: { id: string; shardletId: string; sourceHostId: string; destHostId: string; fromEpoch: number; toEpoch: number; sizeBytes: number; eventCount: number },
  line: MigrationLogLine,
): Promise<void> {
  await db.$transaction(async (tx) => {
    const switched = await tx.shardlet.updateMany({
      where: { id: m.shardletId, hostId: m.sourceHostId, epoch: m.fromEpoch, state: "active" },
      data: { hostId: m.destHostId, epoch: m.toEpoch, sizeBytes: BigInt(Math.round(m.sizeBytes)), eventCount: BigInt(Math.round(m.eventCount)) },
    });
    if (switched.count !== 1) {
      throw new ShardcastError("conflict", `shardlet ${m.shardletId} is not active on host ${m.sourceHostId} at epoch ${m.fromEpoch}`, {
        shardletId: m.shardletId,
      });
    }
    const moved = await tx.migration.updateMany({
      where: { id: m.id, phase: "switching", finishedAt: null },
      data: { phase: "cleanup", error: null },
    });
    if (moved.count !== 1) throw movedElsewhere(m.id, "switching");
    await logLine(tx, m.id, "cleanup", line);
  });
}

/**
 * Ends a migration as done, failed or cancelled (allowed from its current phase), records the
 * operation and logs the line, in one transaction. False when it had already ended. With
 * `reopened` (a switch undone), the shardlet's epoch goes from `fromEpoch` to `toEpoch` on the
 * source in the same transaction (`conflict`, nothing written, when it is not there at `fromEpoch`).
 */
export async function endMigration(
  db: ControlDb,
  id: string,
  from: MigrationPhase,
  to: "done" | "failed" | "cancelled",
  line: MigrationLogLine,
  op: NewOperation,
  reopened?: { shardletId: string; hostId: string; fromEpoch: number; toEpoch: number },
): Promise<boolean> {
  checkMove(id, from, to);
  return db.$transaction(async (tx) => {
    const { count } = await tx.migration.updateMany({
      where: { id, phase: from, finishedAt: null },
      data: {
        phase: to,
        finishedAt: new Date(),
        cancelRequested: to === "cancelled" ? true : undefined,
        error: to === "failed" ? line.message.slice(0, 1000) : null,
      },
    });
    if (count !== 1) return false;
    if (reopened) {
      const raised = await tx.shardlet.updateMany({
        where: { id: reopened.shardletId, hostId: reopened.hostId, epoch: reopened.fromEpoch, state: "active" },
        data: { epoch: reopened.toEpoch },
      });
      if (raised.count !== 1) throw new ShardcastError("conflict", `shardlet ${reopened.shardletId} changed while its switch was undone`, { shardletId: reopened.shardletId });
    }
    await logLine(tx, id, to, line);
    await tx.operation.create({ data: operationData(op) });
    return true;
  });
}

/** Migrations the mover has work for: approved or scheduled (not started) and every running one. */
export async function listMigrationsToRun(db: ControlDb): Promise<MigrationRun[]> {
  const rows = await db.migration.findMany({
    where: { finishedAt: null, phase: { in: ["approved", "scheduled", "copying", "verifying", "switching", "cleanup"] } },
    orderBy: { createdAt: "asc" },
  });
  return rows.map(toMigration);
}

/**
 * Shardlets whose migration is copying, verifying or switching (of the given ones, or all):
 * splits and merges leave them alone, the overflow sweep does not drain into them.
 */
export async function migratingShardletIds(db: ControlDb, shardletIds?: readonly string[]): Promise<string[]> {
  const rows = await db.migration.findMany({
    where: {
      finishedAt: null,
      phase: { in: [...SHADOW_MIGRATION_PHASES] },
      ...(shardletIds ? { shardletId: { in: [...shardletIds] } } : {}),
    },
    select: { shardletId: true },
  });
  return [...new Set(rows.map((r) => r.shardletId))];
}

/** When the migration entered `phase` (its first event in that phase), or null. */
export async function migrationPhaseEnteredAt(db: ControlDb, id: string, phase: MigrationPhase): Promise<Date | null> {
  const row = await db.migrationEvent.findFirst({ where: { migrationId: id, phase }, orderBy: { id: "asc" }, select: { at: true } });
  return row?.at ?? null;
}
