import type { ControlDb } from "../client.ts";
import { Prisma } from "../generated/prisma/client.ts";

/**
 * The forecast error tracker's state after the latest run that kept one (null before the first):
 * `cluster`, the capacity plan's tracker of the cluster's load; `shardlets`, the analyzer's tracker
 * of every shardlet's forecasts.
 */
export async function getLatestTrackerState(db: ControlDb, which: "cluster" | "shardlets"): Promise<unknown> {
  if (which === "cluster") {
    const row = await db.analyzerRun.findFirst({ where: { forecastTracker: { not: Prisma.AnyNull } }, orderBy: [{ at: "desc" }, { id: "desc" }], select: { forecastTracker: true } });
    return row?.forecastTracker ?? null;
  }
  const row = await db.analyzerRun.findFirst({ where: { shardletTracker: { not: Prisma.AnyNull } }, orderBy: [{ at: "desc" }, { id: "desc" }], select: { shardletTracker: true } });
  return row?.shardletTracker ?? null;
}
