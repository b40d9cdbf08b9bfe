import { measuredCostParams, type CostParams } from "@shardcast/core";
import { getAnalyzerSettings, listOperations, type ControlDb } from "@shardcast/db";
import { copySpeedFor } from "../domain/copy-speed.ts";

/** Recent splits whose lock is measured, newest first. */
const RECENT_SPLITS = 20;

/**
 * The cost figures of this run's decisions (and so of the console's): copies at the speed the
 * analyzer plans with (its budget, or recent migrations' measured speed when slower), splits
 * holding the op-lock as long as recent splits did (each split's record keeps its lock window).
 */
export async function preallocCostFigures(db: ControlDb): Promise<Pick<CostParams, "copyBytesPerSec" | "splitLockSec">> {
  const { copyBytesPerSec } = await getAnalyzerSettings(db);
  const speed = await copySpeedFor(db, copyBytesPerSec);
  const splits = await listOperations(db, { limit: RECENT_SPLITS, kind: "shardlet.split" });
  const lockMs = splits.flatMap((o) => {
    const ms = (o.details as { lockMs?: unknown } | null)?.lockMs;
    return o.status === "succeeded" && typeof ms === "number" ? [ms] : [];
  });
  return measuredCostParams(speed.bytesPerSec, lockMs);
}
