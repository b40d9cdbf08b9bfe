import type { ControlDb } from "./client.ts";

/** How many migrations are in each phase, for the worker's `/metrics` (phases with none are left out). */
export async function countMigrationsByPhase(db: ControlDb): Promise<Map<string, number>> {
  const rows = await db.migration.groupBy({ by: ["phase"], _count: { _all: true } });
  return new Map(rows.map((r) => [r.phase, r._count._all]));
}
