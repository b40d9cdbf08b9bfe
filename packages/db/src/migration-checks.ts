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

/** A destination's partial copy left by a migration given up without reaching it (see the mover's leftover sweep). */
export interface DestinationLeftover {
  migrationId: string;
  phase: string;
  hostId: string;
  streamId: string;
  shardletId: string;
  lo: number;
  hi: number;
  /** The highest epoch the migration fenced the destination at. */
  epoch: number;
}

/**
 * Migrations ended since `since` whose latest event-log line about their destination's leftover
 * (`details.leftover`) still says "pending"; the sweep appends "cleaned" once it removed it.
 */
export async function listDestinationLeftovers(db: ControlDb, since: Date): Promise<DestinationLeftover[]> {
  const rows = await db.$queryRaw<Array<{ id: string; phase: string; details: Record<string, unknown> }>>`
    SELECT m.id, m.phase, e.details
    FROM migrations m
    CROSS JOIN LATERAL (
      SELECT details FROM migration_events
      WHERE migration_id = m.id AND details->>'leftover' IS NOT NULL
      ORDER BY id DESC LIMIT 1
    ) e
    WHERE m.phase IN ('failed', 'cancelled') AND m.finished_at >= ${since} AND e.details->>'leftover' = 'pending'
    ORDER BY m.finished_at`;
  const out: DestinationLeftover[] = [];
  for (const r of rows) {
    const d = r.details;
    const [hostId, streamId, shardletId] = [d.hostId, d.streamId, d.shardletId];
    const [lo, hi, epoch] = [d.lo, d.hi, d.epoch];
    if (typeof hostId !== "string" || typeof streamId !== "string" || typeof shardletId !== "string") continue;
    if (typeof lo !== "number" || typeof hi !== "number" || typeof epoch !== "number") continue;
    out.push({ migrationId: r.id, phase: r.phase, hostId, streamId, shardletId, lo, hi, epoch });
  }
  return out;
}

/** What the latest event-log line about the migration's destination leftover says ("pending", "cleaned", "skipped"), or null. */
export async function latestLeftoverMark(db: ControlDb, migrationId: string): Promise<string | null> {
  const rows = await db.$queryRaw<Array<{ leftover: string }>>`
    SELECT details->>'leftover' AS leftover FROM migration_events
    WHERE migration_id = ${migrationId} AND details->>'leftover' IS NOT NULL
    ORDER BY id DESC LIMIT 1`;
  return rows[0]?.leftover ?? null;
}
