import type { ControlDb } from "./client.ts";

/** Small reads a running migration makes between its steps, without loading the whole run. */

/** Whether a cancel was requested (false when the migration no longer exists). */
export async function migrationCancelRequested(db: ControlDb, id: string): Promise<boolean> {
  const row = await db.migration.findUnique({ where: { id }, select: { cancelRequested: true } });
  return row?.cancelRequested ?? false;
}

/**
 * An unfinished migration of the stream that is still deleting, on `hostId`, a range it moved
 * away (its cleanup deletes by range), or null.
 */
export async function findCleaningMigration(db: ControlDb, q: { streamId: string; hostId: string }): Promise<{ id: string } | null> {
  return db.migration.findFirst({
    where: { streamId: q.streamId, sourceHostId: q.hostId, phase: "cleanup", finishedAt: null },
    select: { id: true },
  });
}
