import type { SettledPrediction } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { finishOperation, recordOperation } from "../operations.ts";
import { PREALLOC_KIND, type PreallocDetails } from "./records.ts";

/**
 * Shadows live in the operations log too (kind `prealloc.shadow`): a candidate the cost model
 * chose while the skill gate was closed, prepared nowhere, `running` until its horizon and grace
 * passed or its shardlet surged, then `succeeded` with `hit` or `released` (what the pre-allocation
 * would have been). They keep the gate's evidence fresh while it prepares nothing.
 */
export const PREALLOC_SHADOW_KIND = "prealloc.shadow";

export interface PreallocShadowDetails {
  outcome?: "hit" | "released";
  probability: number;
  cause: string | null;
  fallbacksIfReactive: number;
  cost: number;
  /** The predicted shardlet's range (its live shardlets' writes are summed, whatever splits or hand-offs did meanwhile). */
  range: [number, number];
  /** The range's usual writes per second when it was predicted, and the most its measured writes reached since. */
  usualPerSec: number;
  peakPerSec: number;
  predictedAtMs: number;
  releaseAtMs: number;
  reason: string;
}

export interface PreallocShadow {
  id: string;
  streamId: string;
  shardletId: string;
  details: PreallocShadowDetails;
}

/** Opens a shadow, unless the shardlet has one open already (one a run before this one scored): then nothing is stored. */
export async function recordPreallocShadow(db: ControlDb, s: { streamId: string; shardletId: string; message: string; details: PreallocShadowDetails }): Promise<boolean> {
  const open = await db.operation.findFirst({ where: { kind: PREALLOC_SHADOW_KIND, status: "running", shardletId: s.shardletId }, select: { id: true } });
  if (open) return false;
  await recordOperation(db, { kind: PREALLOC_SHADOW_KIND, status: "running", message: s.message, streamId: s.streamId, shardletId: s.shardletId, actor: "prealloc", details: { ...s.details } });
  return true;
}

/** Open shadows, oldest first. */
export async function listOpenPreallocShadows(db: ControlDb, streamId?: string): Promise<PreallocShadow[]> {
  const rows = await db.operation.findMany({
    where: { kind: PREALLOC_SHADOW_KIND, status: "running", ...(streamId ? { streamId } : {}) },
    orderBy: [{ startedAt: "asc" }, { id: "asc" }],
    take: 1_000,
  });
  return rows.map((r) => ({ id: r.id, streamId: r.streamId ?? "", shardletId: r.shardletId ?? "", details: r.details as unknown as PreallocShadowDetails }));
}

/** Replaces an open shadow's details (its peak so far). */
export async function updatePreallocShadow(db: ControlDb, id: string, details: PreallocShadowDetails): Promise<void> {
  await db.operation.update({ where: { id }, data: { details: { ...details } } });
}

export async function closePreallocShadow(db: ControlDb, id: string, details: PreallocShadowDetails, message: string): Promise<void> {
  await finishOperation(db, id, { status: "succeeded", message, details: { ...details } });
}

/**
 * The stream's newest settled predictions (by when they were made), pre-allocations and shadows together:
 * what the skill gate weighs. Pre-allocations that failed, or that were recorded without the
 * decision's figures, say nothing about the predictions and are left out.
 */
export async function listSettledPredictions(db: ControlDb, streamId: string, limit: number): Promise<SettledPrediction[]> {
  const rows = await db.operation.findMany({
    where: { kind: { in: [PREALLOC_KIND, PREALLOC_SHADOW_KIND] }, streamId, status: "succeeded" },
    orderBy: [{ startedAt: "desc" }, { id: "desc" }],
    select: { kind: true, details: true },
    take: Math.max(1, Math.min(limit, 1_000)) * 2,
  });
  const out: SettledPrediction[] = [];
  for (const r of rows) {
    const d = r.details as Partial<PreallocDetails & PreallocShadowDetails> | null;
    if (!d || (d.outcome !== "hit" && d.outcome !== "released") || typeof d.fallbacksIfReactive !== "number" || typeof d.cost !== "number") continue;
    out.push({ hit: d.outcome === "hit", fallbacksIfReactive: d.fallbacksIfReactive, cost: d.cost, shadow: r.kind === PREALLOC_SHADOW_KIND });
    if (out.length >= limit) break;
  }
  return out;
}
