import type { PreallocDecision } from "./cost.ts";

/**
 * One settled prediction the cost model chose: prepared (a pre-allocation that was used or
 * released) or, while the gate was closed, only scored (a shadow: would it have been used?).
 */
export interface SettledPrediction {
  /** The surge came: the prepared part (or, for a shadow, the shardlet) took a surge's worth of events in time. */
  hit: boolean;
  /** The decision's `fallbacksIfReactive`: what the preparation saves when the surge comes. */
  fallbacksIfReactive: number;
  /** The decision's `cost`, paid hit or not. */
  cost: number;
  shadow: boolean;
}

export interface PreallocGateOptions {
  /** The newest settled predictions the verdict weighs. */
  window: number;
  /** Fewer settled predictions than this leave the gate open: the cost model's own judgement stands. */
  minSettled: number;
}

export const DEFAULT_PREALLOC_GATE: PreallocGateOptions = { window: 12, minSettled: 4 };

export interface PreallocGateVerdict {
  open: boolean;
  settled: number;
  hits: number;
  /** Fallbacks the hits saved and what all of them cost (the cost model's units: overflow events). */
  saved: number;
  cost: number;
  reason: string;
}

/**
 * Whether the stream's predictions have paid lately: over its newest settled predictions, the
 * fallbacks the hits saved against what every preparation cost, waste included. Reacting alone
 * saves and costs nothing, so a window whose hits saved less than it cost is one where prediction
 * did worse than its reactive twin: the gate closes and the pre-allocator prepares nothing, as at
 * aggressiveness 0. It keeps scoring what it would have prepared (shadows, settled by the same
 * rule on the shardlet's own writes), so the gate opens again once predictions pay on paper.
 * A probability calibration would have been the softer tool; this verdict is the one an operator
 * can check against the Operations page by hand.
 */
export function preallocGateVerdict(settled: readonly SettledPrediction[], opts: PreallocGateOptions = DEFAULT_PREALLOC_GATE): PreallocGateVerdict {
  const recent = settled.slice(0, opts.window);
  let hits = 0;
  let saved = 0;
  let cost = 0;
  for (const s of recent) {
    if (s.hit) {
      hits++;
      saved += s.fallbacksIfReactive;
    }
    cost += s.cost;
  }
  const figures = `${hits} of the last ${recent.length} predictions came (saved ${saved.toFixed(0)} fallbacks against a cost of ${cost.toFixed(0)})`;
  if (recent.length < opts.minSettled) {
    return { open: true, settled: recent.length, hits, saved, cost, reason: `${recent.length} settled predictions, fewer than ${opts.minSettled}: the cost model decides alone` };
  }
  const open = saved >= cost;
  return { open, settled: recent.length, hits, saved, cost, reason: open ? `predictions pay: ${figures}` : `predictions do not pay: ${figures}; reacting only` };
}

/**
 * A decision under the gate: unchanged while it is open; a decision to prepare becomes a shadow
 * (not prepared, scored later) while it is closed.
 */
export function gatePreallocDecision(decision: PreallocDecision, verdict: PreallocGateVerdict): PreallocDecision & { shadow: boolean } {
  if (verdict.open || !decision.prepare) return { ...decision, shadow: false };
  return { ...decision, prepare: false, shadow: true, reason: `skill gate closed, ${verdict.reason} (would have: ${decision.reason})` };
}

/**
 * Whether a shadow's surge came, by the content model's own label: the range's measured writes in a
 * step reached `surgeFactor` times its usual writes and at least `minSurgeEvents`.
 */
export function shadowSurged(q: { peakPerSec: number; usualPerSec: number; surgeFactor: number; minSurgeEvents: number; stepSec: number }): boolean {
  return q.peakPerSec * q.stepSec >= q.minSurgeEvents && q.peakPerSec >= q.surgeFactor * q.usualPerSec;
}

/**
 * Writes per second of the routed shardlets in `range` ([lo, hi) of the key-hash space): a
 * shardlet reaching past it counts by the share of its width inside, so a range measured across
 * splits, merges and hand-offs keeps meaning the same keys.
 */
export function rangeWriteRate(shardlets: ReadonlyArray<{ lo: number; hi: number; writeRate: number }>, range: readonly [number, number]): number {
  const [lo, hi] = range;
  let rate = 0;
  for (const s of shardlets) {
    if (s.hi <= lo || s.lo >= hi) continue;
    const overlap = Math.min(hi, s.hi) - Math.max(lo, s.lo);
    rate += s.writeRate * (overlap / Math.max(1, s.hi - s.lo));
  }
  return rate;
}
