import { canMoveMigration, ShardcastError, type MigrationPhase } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { Prisma } from "./generated/prisma/client.ts";
import type { MigrationEventLevel } from "./migration-events.ts";
import { MIGRATION_RUN_COLUMNS, toMigration, type MigrationRun, type MigrationRunRow } from "./migration-run-rows.ts";
import { operationData, operationInsertSql, operationParams, type NewOperation } from "./operations.ts";
import { sqlRows, utc } from "./sql.ts";
import { SHADOW_MIGRATION_PHASES } from "./routes.ts";

export type { MigrationRun } from "./migration-run-rows.ts";

/**
 * Control-database side of running a migration: the persisted phase (written before each step,
 * checked against `canMoveMigration`, logged in the migration's event log in the same
 * transaction), progress figures, and the two writes that touch the shardlet: the epoch raise that
 * starts the copy and the mapping switch.
 */

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
  const [row] = await sqlRows<MigrationRunRow>(db, `SELECT ${MIGRATION_RUN_COLUMNS} FROM migrations WHERE id = $1`, [id]);
  return row ? toMigration(row) : null;
}

/** Counts a run of the migration and clears its last error; returns the migration as it is now. */
export async function beginMigrationAttempt(db: ControlDb, id: string): Promise<MigrationRun> {
  const [row] = await sqlRows<MigrationRunRow>(
    db,
    `UPDATE migrations SET attempts = attempts + 1, updated_at = $2::timestamp WHERE id = $1 RETURNING ${MIGRATION_RUN_COLUMNS}`,
    [id, utc(new Date())],
  );
  if (!row) throw new ShardcastError("not_found", `unknown migration ${id}`);
  return toMigration(row);
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
  // Plain SQL: a copy records its progress after every chunk (see sql.ts).
  const round = (v: number | undefined) => (v === undefined ? null : Math.round(v));
  await sqlRows(
    db,
    `UPDATE migrations SET updated_at = $2::timestamp, copy_cursor = coalesce($3::bigint, copy_cursor), copy_target = coalesce($4::bigint, copy_target),
       rows_copied = coalesce($5::bigint, rows_copied), rows_total = coalesce($6::bigint, rows_total), copy_rate = coalesce($7::float8, copy_rate),
       error = CASE WHEN $8::boolean THEN $9::text ELSE error END
     WHERE id = $1`,
    [
      id,
      utc(new Date()),
      round(patch.copyCursor),
      round(patch.copyTarget),
      round(patch.rowsCopied),
      round(patch.rowsTotal),
      patch.copyRate ?? null,
      patch.error !== undefined,
      patch.error == null ? null : patch.error.slice(0, 1000),
    ],
  );
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
  const error = to === "failed" ? line.message.slice(0, 1000) : null;
  if (!reopened) {
    // The common end, in one statement: the update, its log line and the operation.
    const at = new Date();
    const rows = await sqlRows<{ id: string }>(
      db,
      `WITH m AS (
         UPDATE migrations SET phase = $3, finished_at = $4::timestamp, updated_at = $4::timestamp, error = $5,
           cancel_requested = cancel_requested OR $3 = 'cancelled'
         WHERE id = $1 AND phase = $2 AND finished_at IS NULL RETURNING id
       ), e AS (
         INSERT INTO migration_events (migration_id, at, phase, level, message, details)
         SELECT id, $4::timestamp, $3, $6, $7, $8::jsonb FROM m
       ), op AS (${operationInsertSql(9, "m")})
       SELECT id FROM m`,
      [id, from, to, utc(at), error, line.level ?? "info", line.message, line.details === undefined ? null : JSON.stringify(line.details), ...operationParams(op, at)],
    );
    return rows.length === 1;
  }
  return db.$transaction(async (tx) => {
    const { count } = await tx.migration.updateMany({
      where: { id, phase: from, finishedAt: null },
      data: { phase: to, finishedAt: new Date(), cancelRequested: to === "cancelled" ? true : undefined, error },
    });
    if (count !== 1) return false;
    const raised = await tx.shardlet.updateMany({
      where: { id: reopened.shardletId, hostId: reopened.hostId, epoch: reopened.fromEpoch, state: "active" },
      data: { epoch: reopened.toEpoch },
    });
    if (raised.count !== 1) throw new ShardcastError("conflict", `shardlet ${reopened.shardletId} changed while its switch was undone`, { shardletId: reopened.shardletId });
    await logLine(tx, id, to, line);
    await tx.operation.create({ data: operationData(op) });
    return true;
  });
}

/** Migrations the mover has work for: approved or scheduled (not started) and every running one. */
export async function listMigrationsToRun(db: ControlDb): Promise<MigrationRun[]> {
  const rows = await sqlRows<MigrationRunRow>(
    db,
    `SELECT ${MIGRATION_RUN_COLUMNS} FROM migrations WHERE finished_at IS NULL AND phase = ANY($1::text[]) ORDER BY created_at ASC`,
    [["approved", "scheduled", "copying", "verifying", "switching", "cleanup"]],
  );
  return rows.map(toMigration);
}

/**
 * Shardlets whose migration is copying, verifying or switching (of the given ones, or all):
 * splits and merges leave them alone, the overflow sweep does not drain into them.
 */
export async function migratingShardletIds(db: ControlDb, shardletIds?: readonly string[]): Promise<string[]> {
  const rows = await sqlRows<{ shardletId: string }>(
    db,
    `SELECT DISTINCT shardlet_id AS "shardletId" FROM migrations
     WHERE finished_at IS NULL AND phase = ANY($1::text[]) AND ($2::text[] IS NULL OR shardlet_id = ANY($2::text[]))`,
    [[...SHADOW_MIGRATION_PHASES], shardletIds ? [...shardletIds] : null],
  );
  return rows.map((r) => r.shardletId);
}

/** When the migration entered `phase` (its first event in that phase), or null. */
export async function migrationPhaseEnteredAt(db: ControlDb, id: string, phase: MigrationPhase): Promise<Date | null> {
  const row = await db.migrationEvent.findFirst({ where: { migrationId: id, phase }, orderBy: { id: "asc" }, select: { at: true } });
  return row?.at ?? null;
}
