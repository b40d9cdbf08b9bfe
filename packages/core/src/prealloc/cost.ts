import { median } from "../median.ts";
import type { SurgePrediction } from "./model.ts";

/** What the cost model knows of a candidate besides the prediction. */
export interface PreallocCandidate {
  prediction: Pick<SurgePrediction, "shardletId" | "probability" | "expectedPeakPerStep" | "currentPerStep" | "usualPerStep" | "horizonEndsMs">;
  shardletBytes: number;
  /** Whether the shardlet can be cut (its range is wider than the minimum and holds more than one hot key). */
  splittable: boolean;
  /** The shardlet's host: its writes per second now and what it takes. */
  host: { id: string; writesPerSec: number; capacityPerSec: number };
  /** The host with the most headroom that could take a part (null: none). */
  destination: { id: string; writesPerSec: number; capacityPerSec: number } | null;
  /** Already prepared or being prepared: nothing more to do. */
  prepared: boolean;
}

export interface CostParams {
  /** 0 = off (reactive only), 1 = prepare whenever the probability passes its floor. */
  aggressiveness: number;
  /** Lowest probability prepared at aggressiveness 0.5 (scaled: twice as high near 0, zero at 1). */
  minProbability: number;
  stepMs: number;
  /** Seconds a split holds the shardlet's op-lock (events meanwhile take the overflow log). */
  splitLockSec: number;
  /** Seconds the reactive manager needs to notice a hot shardlet and start its split. */
  reactiveDetectSec: number;
  copyBytesPerSec: number;
  moveSetupSec: number;
  /** Extra ack latency of an event that takes the overflow log instead of the fast path. */
  fallbackPenaltyMs: number;
  /** Seconds a wrongly prepared shardlet is kept (horizon + grace) before it is merged back. */
  holdSec: number;
  /** What a MiB copied costs, in fallback events (the copy competes with writes on both hosts). */
  fallbacksPerMiBCopied: number;
  /** What keeping one extra shardlet costs per hour, in fallback events (metadata, a connection's worth of work). */
  fallbacksPerReservedHour: number;
}

export const DEFAULT_COST_PARAMS: CostParams = {
  aggressiveness: 0,
  minProbability: 0.3,
  stepMs: 5_000,
  splitLockSec: 2,
  reactiveDetectSec: 10,
  copyBytesPerSec: 20 * 1024 * 1024,
  moveSetupSec: 5,
  fallbackPenaltyMs: 20,
  holdSec: 240,
  fallbacksPerMiBCopied: 1,
  fallbacksPerReservedHour: 10,
};

export type PreallocAction = "split" | "split_move" | "move" | "none";

/** The cost model's verdict on one candidate, with its figures and the reason either way. */
export interface PreallocDecision {
  shardletId: string;
  prepare: boolean;
  action: PreallocAction;
  /** Where a moving part goes (the candidate's destination), null when nothing moves. */
  destinationId: string | null;
  probability: number;
  /** Events expected to take the overflow log during the surge without preparation (if it comes). */
  fallbacksIfReactive: number;
  /** Events expected to take the overflow log while preparing now. */
  fallbacksWhilePreparing: number;
  /** probability x fallbacksIfReactive. */
  expectedFallbacksSaved: number;
  /** Expected ack latency saved, summed over events (ms). */
  expectedLatencySavedMs: number;
  /** Everything the preparation costs, in fallback events (lock, bytes, reserved capacity, merge back if wrong). */
  cost: number;
  bytesCopied: number;
  lockSec: number;
  /** Seconds the preparation takes (must end before the surge). */
  prepareSec: number;
  /** Why it is prepared, or why not. */
  reason: string;
}

const MIB = 1024 * 1024;

/**
 * Weighs a candidate: the fallbacks a reactive split during the surge would cause (the op-lock is
 * held while the surge's writes arrive) against what preparing now costs (the lock at today's
 * rate, bytes copied for a move, the extra shardlet kept until the grace period ends, and a merge
 * back if the surge does not come). `aggressiveness` sets the probability floor and the ratio of
 * expected saving to cost a candidate must reach.
 */
export function decidePrealloc(candidate: PreallocCandidate, nowMs: number, params: Partial<CostParams> = {}): PreallocDecision {
  const p = { ...DEFAULT_COST_PARAMS, ...params };
  const pred = candidate.prediction;
  const stepSec = p.stepMs / 1000;
  const surgePerSec = pred.expectedPeakPerStep / stepSec;
  const nowPerSec = Math.max(pred.currentPerStep, pred.usualPerStep) / stepSec;
  const host = candidate.host;
  // Moving is needed when the host cannot take the surge on top of what it carries.
  const overloads = host.writesPerSec + surgePerSec > host.capacityPerSec;
  const dest = candidate.destination;
  const destFits = dest !== null && dest.writesPerSec + surgePerSec <= dest.capacityPerSec;
  const move = overloads && destFits;
  const action: PreallocAction = candidate.splittable ? (move ? "split_move" : "split") : move ? "move" : "none";
  // A split copies nothing; a move copies the part that leaves (half the shardlet after a split).
  const bytesCopied = move ? (candidate.splittable ? candidate.shardletBytes / 2 : candidate.shardletBytes) : 0;
  const moveSec = move ? p.moveSetupSec + bytesCopied / p.copyBytesPerSec : 0;
  const lockSec = (action === "none" ? 0 : p.splitLockSec) + (move ? p.splitLockSec : 0);
  const prepareSec = (action === "split" || action === "split_move" ? p.splitLockSec : 0) + moveSec;
  const fallbacksIfReactive = action === "none" ? 0 : surgePerSec * lockSec + (move ? surgePerSec * moveSec * 0.1 : 0);
  const fallbacksWhilePreparing = nowPerSec * lockSec;
  const probability = pred.probability;
  const expectedFallbacksSaved = probability * fallbacksIfReactive;
  const mergeBack = (1 - probability) * (pred.usualPerStep / stepSec) * p.splitLockSec;
  const reserved = action === "none" ? 0 : (p.fallbacksPerReservedHour * p.holdSec) / 3_600;
  const cost = fallbacksWhilePreparing + mergeBack + (bytesCopied / MIB) * p.fallbacksPerMiBCopied + reserved;
  const base = {
    shardletId: pred.shardletId,
    action,
    destinationId: move ? dest.id : null,
    probability,
    fallbacksIfReactive,
    fallbacksWhilePreparing,
    expectedFallbacksSaved,
    expectedLatencySavedMs: expectedFallbacksSaved * p.fallbackPenaltyMs,
    cost,
    bytesCopied,
    lockSec,
    prepareSec,
  };
  const no = (reason: string): PreallocDecision => ({ ...base, prepare: false, reason });
  const pct = (x: number) => `${Math.round(x * 100)}%`;
  if (p.aggressiveness <= 0) return no("aggressiveness is 0: reactive only");
  if (candidate.prepared) return no("already prepared");
  if (action === "none") {
    return no(overloads ? "a single key that no host with headroom can take: nothing to prepare" : "a single key on a host with headroom: nothing to prepare");
  }
  const floor = Math.min(1, p.minProbability * 2 * (1 - p.aggressiveness));
  if (probability < floor) return no(`probability ${pct(probability)} is below ${pct(floor)} at aggressiveness ${p.aggressiveness}`);
  const leftSec = (pred.horizonEndsMs - nowMs) / 1000;
  if (leftSec < prepareSec) return no(`too late: preparing takes ${prepareSec.toFixed(1)} s, the horizon ends in ${Math.max(0, leftSec).toFixed(1)} s`);
  const ratio = (1 - p.aggressiveness) / p.aggressiveness;
  const figures = `expected ${expectedFallbacksSaved.toFixed(0)} fallbacks saved (${pct(probability)} x ${fallbacksIfReactive.toFixed(0)}) vs cost ${cost.toFixed(1)}`;
  if (expectedFallbacksSaved < cost * ratio) return no(`${figures}: below ${ratio.toFixed(2)}x the cost at aggressiveness ${p.aggressiveness}`);
  const what = action === "split" ? "split at the predicted load median" : action === "move" ? `move to ${dest!.id}` : `split and move a part to ${dest!.id}`;
  return { ...base, prepare: true, reason: `${what}: ${figures}${move ? `, ${(bytesCopied / MIB).toFixed(1)} MiB copied` : ""}` };
}

/** Fewer measured split locks than this make no measurement. */
export const MIN_MEASURED_SPLIT_LOCKS = 3;

/**
 * The copy speed and split lock the cost model weighs with: the cluster's measured figures where
 * it has them (the copy speed the analyzer plans with, the median op-lock of recent splits), else
 * the defaults. A decision that assumed a 2 s lock while splits here hold it for 10 would prepare
 * too late and count too few fallbacks saved.
 */
export function measuredCostParams(copyBytesPerSec: number | null, splitLockMs: readonly number[]): Pick<CostParams, "copyBytesPerSec" | "splitLockSec"> {
  const locks = splitLockMs.filter((ms) => Number.isFinite(ms) && ms >= 0);
  return {
    copyBytesPerSec: copyBytesPerSec !== null && copyBytesPerSec > 0 ? copyBytesPerSec : DEFAULT_COST_PARAMS.copyBytesPerSec,
    splitLockSec: locks.length >= MIN_MEASURED_SPLIT_LOCKS ? median(locks) / 1000 : DEFAULT_COST_PARAMS.splitLockSec,
  };
}
