import type { ControlDb } from "./client.ts";
import { sqlRows, utc } from "./sql.ts";

export type MigrationEventLevel = "info" | "warn" | "error";

export interface MigrationEventInfo {
  id: string;
  at: Date;
  phase: string;
  level: MigrationEventLevel;
  message: string;
  details: unknown;
}

/** Appends to a migration's event log (shown live in the console). */
export async function appendMigrationEvent(
  db: ControlDb,
  e: { migrationId: string; phase: string; message: string; level?: MigrationEventLevel; details?: Record<string, unknown> },
): Promise<void> {
  // Plain SQL: the mover notes every run (see sql.ts).
  await sqlRows(db, "INSERT INTO migration_events (migration_id, at, phase, level, message, details) VALUES ($1, $2::timestamp, $3, $4, $5, $6::jsonb)", [
    e.migrationId,
    utc(new Date()),
    e.phase,
    e.level ?? "info",
    e.message,
    e.details === undefined ? null : JSON.stringify(e.details),
  ]);
}

/** A migration's event log, oldest first. */
export async function listMigrationEvents(db: ControlDb, migrationId: string, limit = 500): Promise<MigrationEventInfo[]> {
  const rows = await db.migrationEvent.findMany({ where: { migrationId }, orderBy: { id: "asc" }, take: limit });
  return rows.map((r) => ({
    id: r.id.toString(),
    at: r.at,
    phase: r.phase,
    level: r.level as MigrationEventLevel,
    message: r.message,
    details: r.details,
  }));
}
