import {
  DEFAULT_PREALLOC_GATE,
  preallocGateVerdict,
  rangeWriteRate,
  shadowSurged,
  UNROUTED_STATES,
  type PreallocDecision,
  type PreallocGateVerdict,
  type PreallocSettings,
  type SurgePrediction,
} from "@shardcast/core";
import {
  closePreallocShadow,
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

/** Opens a shadow for a decision the closed gate turned down (one per shardlet at a time); true when one was opened. */
export async function recordShadow(
  deps: WorkerDeps,
  settings: PreallocSettings,
  c: { streamId: string; prediction: SurgePrediction; decision: PreallocDecision; range: [number, number] },
): Promise<boolean> {
  const { prediction, decision } = c;
  return recordPreallocShadow(deps.db, {
    streamId: c.streamId,
    shardletId: prediction.shardletId,
    message: `shadow of a pre-allocation the skill gate held back: ${decision.reason}`,
    details: {
      probability: prediction.probability,
      cause: prediction.cause,
      fallbacksIfReactive: decision.fallbacksIfReactive,
      cost: decision.cost,
      range: c.range,
      usualPerSec: prediction.usualPerStep / settings.stepSec,
      peakPerSec: 0,
      predictedAtMs: deps.clock(),
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
  // Each stream's routed shardlets are read once per run, however many of its shadows are open.
  const routed = new Map<string, Array<{ lo: number; hi: number; writeRate: number }>>();
  for (const s of await listOpenPreallocShadows(deps.db, streamId)) {
    let shardlets = routed.get(s.streamId);
    if (!shardlets) routed.set(s.streamId, (shardlets = (await listShardlets(deps.db, { streamId: s.streamId })).filter((x) => !UNROUTED_STATES.includes(x.state))));
    const outcome = await settleShadow(deps, settings, s, rangeWriteRate(shardlets, s.details.range));
    if (outcome === "hit") out.hits++;
    else if (outcome === "released") out.released++;
  }
  return out;
}

async function settleShadow(deps: WorkerDeps, settings: PreallocSettings, s: PreallocShadow, rate: number): Promise<"hit" | "released" | null> {
  const d = s.details;
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
