import {
  DEFAULT_PREALLOC_GATE,
  preallocGateVerdict,
  shadowSurged,
  UNROUTED_STATES,
  type PreallocDecision,
  type PreallocGateVerdict,
  type PreallocSettings,
  type SurgePrediction,
} from "@shardcast/core";
import {
  closePreallocShadow,
  getShardletRow,
  listOpenPreallocShadows,
  listSettledPredictions,
  listShardlets,
  recordPreallocShadow,
  updatePreallocShadow,
  type PreallocShadow,
} from "@shardcast/db";
import type { WorkerDeps } from "../deps.ts";

/**
 * The skill gate's worker side (core's `preallocGateVerdict`): a stream's verdict from its newest
 * settled predictions, shadows for what a closed gate did not prepare, and their settling.
 */

export async function streamGate(deps: WorkerDeps, streamId: string): Promise<PreallocGateVerdict> {
  return preallocGateVerdict(await listSettledPredictions(deps.db, streamId, DEFAULT_PREALLOC_GATE.window), DEFAULT_PREALLOC_GATE);
}

/** Writes per second of the stream's routed shardlets in `range` (a shardlet reaching past it counts by its share). */
async function rangeRate(deps: WorkerDeps, streamId: string, range: readonly [number, number]): Promise<number> {
  const [lo, hi] = range;
  let rate = 0;
  for (const s of await listShardlets(deps.db, { streamId })) {
    if (UNROUTED_STATES.includes(s.state) || s.hi <= lo || s.lo >= hi) continue;
    const overlap = Math.min(hi, s.hi) - Math.max(lo, s.lo);
    rate += s.writeRate * (overlap / Math.max(1, s.hi - s.lo));
  }
  return rate;
}

/** Opens a shadow for a decision the closed gate turned down (one per shardlet at a time); true when one was opened. */
export async function recordShadow(deps: WorkerDeps, settings: PreallocSettings, streamId: string, prediction: SurgePrediction, decision: PreallocDecision): Promise<boolean> {
  const row = await getShardletRow(deps.db, prediction.shardletId);
  if (!row) return false;
  const now = deps.clock();
  return recordPreallocShadow(deps.db, {
    streamId,
    shardletId: prediction.shardletId,
    message: `shadow of a pre-allocation the skill gate held back: ${decision.reason}`,
    details: {
      probability: prediction.probability,
      cause: prediction.cause,
      fallbacksIfReactive: decision.fallbacksIfReactive,
      cost: decision.cost,
      range: [Number(row.lo), Number(row.hi)],
      usualPerSec: prediction.usualPerStep / settings.stepSec,
      peakPerSec: 0,
      predictedAtMs: now,
      releaseAtMs: prediction.horizonEndsMs + settings.graceSec * 1000,
      reason: decision.reason,
    },
  });
}

/**
 * Settles open shadows: `hit` once the range's measured writes passed the surge label, `released`
 * once the horizon and grace passed without. Writes are as the shardlet accounting last measured
 * them, so a surge shorter than its window may be missed (scored as waste: the gate errs toward
 * reacting). Returns how many came and how many did not.
 */
export async function settleShadows(deps: WorkerDeps, settings: PreallocSettings, streamId?: string): Promise<{ hits: number; released: number }> {
  const out = { hits: 0, released: 0 };
  for (const s of await listOpenPreallocShadows(deps.db, streamId)) {
    const outcome = await settleShadow(deps, settings, s);
    if (outcome === "hit") out.hits++;
    else if (outcome === "released") out.released++;
  }
  return out;
}

async function settleShadow(deps: WorkerDeps, settings: PreallocSettings, s: PreallocShadow): Promise<"hit" | "released" | null> {
  const d = s.details;
  const rate = await rangeRate(deps, s.streamId, d.range);
  const peakPerSec = Math.max(d.peakPerSec, rate);
  const label = { usualPerSec: d.usualPerSec, surgeFactor: settings.surgeFactor, minSurgeEvents: settings.minSurgeEvents, stepSec: settings.stepSec };
  if (shadowSurged({ ...label, peakPerSec })) {
    await closePreallocShadow(deps.db, s.id, { ...d, peakPerSec, outcome: "hit" }, `would have been used: the range reached ${peakPerSec.toFixed(1)} events/s (usual ${d.usualPerSec.toFixed(1)})`);
    return "hit";
  }
  if (deps.clock() >= d.releaseAtMs) {
    await closePreallocShadow(deps.db, s.id, { ...d, peakPerSec, outcome: "released" }, `would have been wasted: the range reached at most ${peakPerSec.toFixed(1)} events/s within the horizon and grace`);
    return "released";
  }
  if (peakPerSec > d.peakPerSec) await updatePreallocShadow(deps.db, s.id, { ...d, peakPerSec });
  return null;
}
