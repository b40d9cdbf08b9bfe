import type { ContentModelState, PrecursorStream, PrecursorStreamConfig } from "@shardcast/core";
import { preallocWorkload, simulatePrealloc, trainSimContentModel, type PreallocSimConfig, type PreallocSimResult } from "./simulate.ts";

/** Reactive settings tried for the best-tuned reactive baseline (manager interval s, write rate that triggers a split). */
export const PREALLOC_REACTIVE_GRID: ReadonlyArray<Pick<PreallocSimConfig, "managerIntervalSec" | "reactiveRatePerSec">> = [
  { managerIntervalSec: 5, reactiveRatePerSec: 20 },
  { managerIntervalSec: 5, reactiveRatePerSec: 40 },
  { managerIntervalSec: 10, reactiveRatePerSec: 20 },
  { managerIntervalSec: 10, reactiveRatePerSec: 40 },
  { managerIntervalSec: 10, reactiveRatePerSec: 80 },
];

type Tuned = PreallocSimResult & { setting: string };

/** The grid's best reactive setting on `stream` (fewest fallbacks in bursts, then lowest p99), starting from `start` (the defaults). */
function bestReactive(stream: PrecursorStream, sim: Partial<PreallocSimConfig>, start: Tuned): { tuned: Tuned; best: Partial<PreallocSimConfig> } {
  let tuned = start;
  let best: Partial<PreallocSimConfig> = {};
  for (const g of PREALLOC_REACTIVE_GRID) {
    const r = simulatePrealloc(stream, { ...sim, ...g, aggressiveness: 0 }, "reactive_tuned");
    if (r.fallbacksInBursts < tuned.fallbacksInBursts || (r.fallbacksInBursts === tuned.fallbacksInBursts && r.p99AckMsBurst < tuned.p99AckMsBurst)) {
      tuned = { ...r, setting: `every ${g.managerIntervalSec} s at ${g.reactiveRatePerSec} writes/s` };
      best = g;
    }
  }
  return { tuned, best };
}

export interface PreallocComparison {
  seed: number;
  /** Reactive at the product's defaults. */
  reactive: PreallocSimResult;
  /** Reactive at the grid's best setting for this workload (fewest fallbacks in bursts, then lowest p99). */
  reactiveTuned: PreallocSimResult & { setting: string };
  /** The content model (trained on an earlier stream of the same kind: the default model) with the cost model deciding. */
  predictive: PreallocSimResult;
  /** The same without the skill gate: every decision the cost model makes is acted on. */
  predictiveUngated: PreallocSimResult;
  /** The same from the conservative prior, learning as it goes. */
  predictiveCold: PreallocSimResult;
  /** The trained model with the reactive manager at the product's defaults as its fallback. */
  predictiveDefaults: PreallocSimResult;
  /** Exactly the bursts that come, prepared at their announcement. */
  oracle: PreallocSimResult;
}

/**
 * One workload, every policy: reactive (defaults and best-tuned), predictive (trained default
 * model and cold start) and the offline optimum. The predictive runs and the oracle keep the
 * reactive manager at the best-tuned setting as their fallback (`predictiveDefaults`: at the defaults).
 */
export function comparePrealloc(opts: {
  seed: number;
  aggressiveness: number;
  stream?: Partial<PrecursorStreamConfig>;
  sim?: Partial<PreallocSimConfig>;
}): PreallocComparison {
  const stream = preallocWorkload(opts.seed, opts.stream);
  // History for the default model: another stream of the same kind (different seed), never the measured one.
  const initialModel: ContentModelState = trainSimContentModel(preallocWorkload(opts.seed + 10_000, opts.stream), opts.sim?.shardlets);
  const sim = opts.sim ?? {};
  const reactive = simulatePrealloc(stream, { ...sim, aggressiveness: 0 }, "reactive");
  const { tuned, best } = bestReactive(stream, sim, { ...reactive, setting: "defaults" });
  // The predictive runs keep the reactive manager as their fallback, at the same best-tuned
  // setting: an operator who tuned it keeps it when turning prediction on, and what is compared
  // is then what prediction adds, not a difference in the manager's thresholds.
  const fallback = { ...sim, ...best };
  return {
    seed: opts.seed,
    reactive,
    reactiveTuned: tuned,
    predictive: simulatePrealloc(stream, { ...fallback, aggressiveness: opts.aggressiveness, initialModel }, "predictive"),
    predictiveUngated: simulatePrealloc(stream, { ...fallback, aggressiveness: opts.aggressiveness, initialModel, skillGate: false }, "predictive_ungated"),
    predictiveCold: simulatePrealloc(stream, { ...fallback, aggressiveness: opts.aggressiveness }, "predictive_cold"),
    predictiveDefaults: simulatePrealloc(stream, { ...sim, aggressiveness: opts.aggressiveness, initialModel }, "predictive_defaults"),
    oracle: simulatePrealloc(stream, { ...fallback, oracle: true, aggressiveness: 1 }, "oracle"),
  };
}

/**
 * A world that changed: the default model learnt from a stream where precursors announced bursts,
 * but in the scored stream they announce nothing (every precursor cluster is a false alarm, every
 * burst comes unannounced). The model keeps predicting with the confidence it learnt; the skill
 * gate should leave the predictive policy no worse than best-tuned reactive, the ungated one pays
 * for every false alarm.
 */
export interface PreallocDriftComparison {
  seed: number;
  reactiveTuned: PreallocSimResult & { setting: string };
  predictive: PreallocSimResult;
  predictiveUngated: PreallocSimResult;
}

export function comparePreallocDrift(opts: { seed: number; aggressiveness: number; sim?: Partial<PreallocSimConfig> }): PreallocDriftComparison {
  const initialModel = trainSimContentModel(preallocWorkload(opts.seed + 10_000), opts.sim?.shardlets);
  const stream = preallocWorkload(opts.seed, { announced: 0, falseAlarms: 25, unannounced: 25 });
  const sim = opts.sim ?? {};
  const { tuned, best } = bestReactive(stream, sim, { ...simulatePrealloc(stream, { ...sim, aggressiveness: 0 }, "reactive"), setting: "defaults" });
  const fallback = { ...sim, ...best };
  return {
    seed: opts.seed,
    reactiveTuned: tuned,
    predictive: simulatePrealloc(stream, { ...fallback, aggressiveness: opts.aggressiveness, initialModel }, "predictive"),
    predictiveUngated: simulatePrealloc(stream, { ...fallback, aggressiveness: opts.aggressiveness, initialModel, skillGate: false }, "predictive_ungated"),
  };
}
