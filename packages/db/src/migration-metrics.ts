import { median } from "@shardcast/core";
import type { ControlDb } from "./client.ts";

/** How many migrations are in each phase, for the worker's `/metrics` (phases with none are left out). */
export async function countMigrationsByPhase(db: ControlDb): Promise<Map<string, number>> {
  const rows = await db.migration.groupBy({ by: ["phase"], _count: { _all: true } });
  return new Map(rows.map((r) => [r.phase, r._count._all]));
}

/** What one migration copied per second, as the finished migrations measured it (see `recentCopySpeed`). */
export interface MeasuredCopySpeed {
  /** Median over the migrations measured, bytes/s. */
  bytesPerSec: number;
  migrations: number;
}

/**
 * A copy shorter than this says more about a move's fixed costs (fences, counting the range) than
 * about its speed, which plans add separately (`moveSetupSec`): it is not measured.
 */
export const MIN_MEASURED_COPY_SEC = 10;

/** Finished migrations looked at, newest first. */
const RECENT_MIGRATIONS = 20;
/** Fewer measured copies than this make no measurement. */
const MIN_MEASURED_MIGRATIONS = 3;

/**
 * The copy speed of the newest finished migrations that copied rows: of those whose copy lasted
 * at least `MIN_MEASURED_COPY_SEC`, each one's bytes copied (its rows at the bytes per row of its
 * proposal) over the time from entering `copying` to entering `verifying` (throttling, pauses and
 * restarts included: what a move really took), the median of them. Null when fewer than
 * `MIN_MEASURED_MIGRATIONS` of them were measured.
 */
export async function recentCopySpeed(db: ControlDb): Promise<MeasuredCopySpeed | null> {
  const rows = await db.migration.findMany({
    where: { phase: "done", rowsCopied: { gt: 0 }, rowsTotal: { gt: 0 }, bytesToMove: { gt: 0 } },
    orderBy: { finishedAt: { sort: "desc", nulls: "last" } },
    take: RECENT_MIGRATIONS,
    select: { id: true, rowsCopied: true, rowsTotal: true, bytesToMove: true },
  });
  const entered = await db.migrationEvent.groupBy({
    by: ["migrationId", "phase"],
    where: { migrationId: { in: rows.map((r) => r.id) }, phase: { in: ["copying", "verifying"] } },
    _min: { at: true },
  });
  const at = new Map(entered.map((e) => [`${e.migrationId}\t${e.phase}`, e._min.at?.getTime()]));
  const speeds: number[] = [];
  for (const r of rows) {
    const from = at.get(`${r.id}\tcopying`);
    const to = at.get(`${r.id}\tverifying`);
    if (from === undefined || to === undefined || to - from < MIN_MEASURED_COPY_SEC * 1000) continue;
    speeds.push((Number(r.rowsCopied) * Number(r.bytesToMove)) / Number(r.rowsTotal) / ((to - from) / 1000));
  }
  if (speeds.length < MIN_MEASURED_MIGRATIONS) return null;
  return { bytesPerSec: median(speeds), migrations: speeds.length };
}
