import type { ControlDb } from "./client.ts";
import { Prisma } from "./generated/prisma/client.ts";

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
  await db.migrationEvent.create({
    data: {
      migrationId: e.migrationId,
      phase: e.phase,
      level: e.level ?? "info",
      message: e.message,
      details: e.details === undefined ? Prisma.DbNull : (e.details as Prisma.InputJsonValue),
    },
  });
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
