import { plannedCopySpeed, type PlannedCopySpeed } from "@shardcast/core";
import { recentCopySpeed, type ControlDb, type MeasuredCopySpeed } from "@shardcast/db";

/**
 * How long a measurement is reused: the rebalancer plans every few seconds and the measurement
 * sorts every finished migration, while the speed moves only as migrations finish.
 */
const MEASUREMENT_TTL_MS = 30_000;
const measurements = new WeakMap<ControlDb, { atMs: number; value: MeasuredCopySpeed | null }>();

/**
 * The copy speed the analyzer, the capacity planner and the rebalancer plan with: the configured
 * budget, or the recent migrations' measured speed when slower (core's `plannedCopySpeed`).
 */
export async function copySpeedFor(db: ControlDb, budgetBytesPerSec: number): Promise<PlannedCopySpeed> {
  const nowMs = Date.now();
  let m = measurements.get(db);
  if (!m || nowMs - m.atMs >= MEASUREMENT_TTL_MS || nowMs < m.atMs) {
    m = { atMs: nowMs, value: await recentCopySpeed(db) };
    measurements.set(db, m);
  }
  return plannedCopySpeed(budgetBytesPerSec, m.value);
}
