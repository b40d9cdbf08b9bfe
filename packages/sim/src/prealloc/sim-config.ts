import type { ContentModelConfig, ContentModelState, CostParams, PredictionQuality } from "@shardcast/core";

/**
 * Predictive pre-allocation against reactive splitting on one workload, on a virtual clock.
 *
 * The cluster: hash-range shardlets on hosts that each take `hostCapacityPerSec` writes. An
 * event's ack latency is the host's service time inflated by its utilisation (M/M/1-like), plus
 * the wait behind a backlog once the host is over capacity, plus `fallbackPenaltyMs` when its
 * shardlet is op-locked (the event takes the overflow log). A migration's copy adds
 * `copyLoad` of utilisation on both hosts while it runs: the copy competes with the writes.
 *
 * Both policies use the product's two flows: a split holds the shardlet's op-lock for
 * `splitLockSec`; a move copies the part's bytes at `copyBytesPerSec` after `moveSetupSec` and
 * holds the lock `switchLockSec` at the switch. The reactive manager looks every
 * `managerIntervalSec` and prepares a shardlet whose writes over the interval passed
 * `reactiveRatePerSec` (split at the load median, the hot part moved to the host with most
 * headroom); the predictive policy does the same when the content model predicts a surge and the
 * cost model agrees, ahead of it, and merges a part back when no surge came within the horizon
 * and grace. The reactive manager stays on in the predictive run: it catches what the model missed.
 */
export interface PreallocSimConfig {
  hosts: number;
  shardlets: number;
  hostCapacityPerSec: number;
  serviceMs: number;
  fallbackPenaltyMs: number;
  copyLoad: number;
  initialShardletBytes: number;
  splitLockSec: number;
  switchLockSec: number;
  copyBytesPerSec: number;
  moveSetupSec: number;
  managerIntervalSec: number;
  reactiveRatePerSec: number;
  /** 0: reactive only. */
  aggressiveness: number;
  graceSec: number;
  /** Pre-allocation acts on predictions every this many seconds. */
  preallocIntervalSec: number;
  /** Prepare exactly the bursts that come, at their announcement (the offline optimum; needs the stream's truth). */
  oracle: boolean;
  model: Partial<ContentModelConfig>;
  /** The model's starting state (a default model trained on history); none: the conservative prior. */
  initialModel: ContentModelState | null;
  cost: Partial<CostParams>;
  /** The product's skill gate (core's `preallocGateVerdict`): prepare only while recent predictions paid. */
  skillGate: boolean;
}

export const DEFAULT_PREALLOC_SIM: PreallocSimConfig = {
  hosts: 4,
  shardlets: 64,
  hostCapacityPerSec: 300,
  serviceMs: 4,
  fallbackPenaltyMs: 25,
  copyLoad: 0.3,
  initialShardletBytes: 128 * 1024 * 1024,
  splitLockSec: 2,
  switchLockSec: 0.5,
  copyBytesPerSec: 20 * 1024 * 1024,
  moveSetupSec: 5,
  managerIntervalSec: 10,
  reactiveRatePerSec: 40,
  aggressiveness: 0,
  graceSec: 120,
  preallocIntervalSec: 1,
  oracle: false,
  model: {},
  initialModel: null,
  cost: {},
  skillGate: true,
};

export interface PreallocSimResult {
  policy: string;
  events: number;
  /** Events that took the overflow log (their shardlet was op-locked). */
  fallbacks: number;
  /** ... of which during a burst window. */
  fallbacksInBursts: number;
  p99AckMs: number;
  /** p99 ack latency of the events written during burst windows. */
  p99AckMsBurst: number;
  p50AckMsBurst: number;
  /** Preparations started by the manager on a hot shardlet. */
  reactivePreparations: number;
  /** Pre-allocations started ahead of a predicted surge, and those no surge used (merged back). */
  preallocations: number;
  preallocWasted: number;
  /** Decisions to prepare the skill gate held back, and their shadows' outcomes (the surge came, or not). */
  gateHeld: number;
  shadowHits: number;
  shadowsWasted: number;
  bytesCopied: number;
  /** Shardlets at the end (pre-allocations that were not used are merged back). */
  liveShardlets: number;
  quality: PredictionQuality | null;
}

/** A run's result before its first event. */
export function emptyPreallocResult(policy: string): PreallocSimResult {
  return {
    policy,
    events: 0,
    fallbacks: 0,
    fallbacksInBursts: 0,
    p99AckMs: 0,
    p99AckMsBurst: 0,
    p50AckMsBurst: 0,
    reactivePreparations: 0,
    preallocations: 0,
    preallocWasted: 0,
    gateHeld: 0,
    shadowHits: 0,
    shadowsWasted: 0,
    bytesCopied: 0,
    liveShardlets: 0,
    quality: null,
  };
}

/** The run's own precision and recall: `q` less the counts `q0` the model arrived with. */
export function qualitySince(q: PredictionQuality, q0: PredictionQuality): PredictionQuality {
  const alerts = q.alerts - q0.alerts;
  const hits = q.hits - q0.hits;
  const onsets = q.onsets - q0.onsets;
  const predicted = q.predicted - q0.predicted;
  return { alerts, hits, onsets, predicted, precision: alerts > 0 ? hits / alerts : null, recall: onsets > 0 ? predicted / onsets : null, medianLeadSec: q.medianLeadSec };
}

export function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
