import type { ControlDb } from "../client.ts";

/** Shardlets an applied split proposal asked to split since `since` (the split job may not have started yet). */
export async function recentlyAppliedSplits(db: ControlDb, since: Date): Promise<Set<string>> {
  const rows = await db.analyzerProposal.findMany({
    where: { kind: "split", status: "applied", decidedAt: { gte: since }, shardletId: { not: null } },
    select: { shardletId: true },
  });
  return new Set(rows.map((r) => r.shardletId!));
}

/** Shardlets with a migration that has not ended (proposed, approved, scheduled or running) -> its destination host. */
export async function shardletsInOpenMigrations(db: ControlDb): Promise<Map<string, string>> {
  const rows = await db.migration.findMany({
    where: { phase: { notIn: ["done", "failed", "cancelled", "rejected"] } },
    select: { shardletId: true, destHostId: true },
  });
  return new Map(rows.map((r) => [r.shardletId, r.destHostId]));
}

/** Shardlets whose migration finished or failed since `since` (the analyzer's move cool-down; see loadPlacementSnapshot). */
export async function recentlyMovedShardlets(db: ControlDb, since: Date): Promise<Set<string>> {
  const rows = await db.migration.findMany({ where: { phase: { in: ["done", "failed"] }, finishedAt: { gte: since } }, select: { shardletId: true } });
  return new Set(rows.map((r) => r.shardletId));
}
