import type { ControlDb } from "../client.ts";
import { Prisma } from "../generated/prisma/client.ts";

/**
 * The forecast error tracker's state after the latest run that kept one (null before the first):
 * `cluster`, the capacity plan's tracker of the cluster's load; `shardlets`, the analyzer's tracker
 * of every shardlet's forecasts; `reads`, its tracker of every shardlet's read forecasts.
 */
export async function getLatestTrackerState(db: ControlDb, which: "cluster" | "shardlets" | "reads"): Promise<unknown> {
  if (which === "cluster") {
    const row = await db.analyzerRun.findFirst({ where: { forecastTracker: { not: Prisma.AnyNull } }, orderBy: [{ at: "desc" }, { id: "desc" }], select: { forecastTracker: true } });
    return row?.forecastTracker ?? null;
  }
  if (which === "reads") {
    const row = await db.analyzerRun.findFirst({ where: { readTracker: { not: Prisma.AnyNull } }, orderBy: [{ at: "desc" }, { id: "desc" }], select: { readTracker: true } });
    return row?.readTracker ?? null;
  }
  const row = await db.analyzerRun.findFirst({ where: { shardletTracker: { not: Prisma.AnyNull } }, orderBy: [{ at: "desc" }, { id: "desc" }], select: { shardletTracker: true } });
  return row?.shardletTracker ?? null;
}

/**
 * These shardlets' series of the per-shardlet tracker's latest state (JSON as saved), read out of
 * it in the database: the state holds every live shardlet, and a caller asking about a few should
 * not load them all.
 */
export async function trackedShardletSeries(db: ControlDb, shardletIds: readonly string[], which: "shardlets" | "reads" = "shardlets"): Promise<Map<string, unknown>> {
  if (shardletIds.length === 0) return new Map();
  // One of two fixed column names, never the caller's text.
  const column = which === "reads" ? Prisma.sql`read_tracker` : Prisma.sql`shardlet_tracker`;
  const rows = await db.$queryRaw<Array<{ shardlet_id: string; state: unknown }>>`
    SELECT i.id AS shardlet_id, r.tracker -> 'series' -> i.id AS state
    FROM (SELECT ${column} AS tracker FROM analyzer_runs WHERE jsonb_typeof(${column} -> 'series') = 'object' ORDER BY at DESC, id DESC LIMIT 1) r,
         unnest(${[...shardletIds]}::text[]) AS i(id)
    WHERE r.tracker -> 'series' ? i.id`;
  return new Map(rows.map((r) => [r.shardlet_id, r.state]));
}
