import { comparePrealloc, comparePreallocDrift, type PreallocComparison, type PreallocDriftComparison } from "@shardcast/sim";
import { median, type Suite } from "../harness.ts";
import { measureEdgeOverhead } from "./prealloc-edge.ts";

const AGGRESSIVENESS = 0.5;

/**
 * Predictive pre-allocation vs reactive splitting on the same workload (packages/sim, prealloc):
 * an hour of background traffic with bursts announced by precursor events (campaign_started,
 * match_kickoff) 30 to 90 s ahead, false alarms (precursors with no burst), unannounced bursts,
 * decoy clusters and rate wobbles, five seeds (also with --quick: a p99 over one seed's bursts
 * falls on its unannounced ones or not, so one seed says little). Policies: `reactive` (the
 * lifecycle manager at its defaults), `reactive_tuned` (its best setting on the workload, see
 * PREALLOC_REACTIVE_GRID; the ratios are against it), `predictive` (the content model trained on another
 * stream of the same kind, i.e. the default model, with the cost model at aggressiveness 0.5 and
 * the reactive manager at the best-tuned setting as fallback; `predictive_defaults`: with the
 * manager at its defaults), `predictive_cold` (the same from the conservative prior) and
 * `oracle` (prepares exactly the bursts that come, at their announcement).
 *
 * `fallback_ratio_vs_reactive`: events that took the overflow log during bursts, predictive /
 * best-tuned reactive, median over seeds. `p99_ack_ms_burst_*`: p99 ack latency of the events
 * written during bursts (median over seeds), and their ratio. `wasted_prealloc_share`:
 * pre-allocations no surge used (merged back) / pre-allocations. The unannounced bursts (a sixth
 * of them) fall back in every policy: the oracle's ratio is the floor.
 *
 * `edge_overhead_ratio`: steady-state ingest through a real edge with the content model on / off
 * (two edge processes on one cluster, interleaved run by run, median of per-run ratios).
 */
export const preallocSuite: Suite = {
  name: "prealloc",
  description: "predictive pre-allocation vs best-tuned reactive on announced bursts and false alarms (simulated), and the content model's cost on a real edge",
  async run({ quick, log }) {
    const seeds = [1, 2, 3, 4, 5];
    const rows: PreallocComparison[] = [];
    for (const seed of seeds) {
      const started = performance.now();
      const c = comparePrealloc({ seed, aggressiveness: AGGRESSIVENESS });
      rows.push(c);
      log(
        `seed ${seed} (${Math.round((performance.now() - started) / 1000)} s): fallbacks in bursts reactive ${c.reactive.fallbacksInBursts}, tuned ${c.reactiveTuned.fallbacksInBursts} (${c.reactiveTuned.setting}), ` +
          `predictive ${c.predictive.fallbacksInBursts} (${c.predictiveDefaults.fallbacksInBursts} with the manager at its defaults), cold ${c.predictiveCold.fallbacksInBursts}, oracle ${c.oracle.fallbacksInBursts}; ` +
          `p99 burst ms reactive ${c.reactiveTuned.p99AckMsBurst.toFixed(0)}, predictive ${c.predictive.p99AckMsBurst.toFixed(0)}, oracle ${c.oracle.p99AckMsBurst.toFixed(0)}; ` +
          `pre-allocations ${c.predictive.preallocations} (${c.predictive.preallocWasted} wasted, ${c.predictive.gateHeld} held back by the gate; ungated ${c.predictiveUngated.preallocations}, ${c.predictiveUngated.preallocWasted} wasted, p99 burst ${c.predictiveUngated.p99AckMsBurst.toFixed(0)}), precision ${c.predictive.quality?.precision?.toFixed(2)}, recall ${c.predictive.quality?.recall?.toFixed(2)}`,
      );
    }
    const med = (f: (c: PreallocComparison) => number) => Number(median(rows.map(f)).toFixed(3));
    const sim = {
      fallback_ratio_vs_reactive: med((c) => c.predictive.fallbacksInBursts / Math.max(1, c.reactiveTuned.fallbacksInBursts)),
      fallback_ratio_vs_reactive_default: med((c) => c.predictive.fallbacksInBursts / Math.max(1, c.reactive.fallbacksInBursts)),
      fallback_ratio_defaults_fallback_vs_reactive: med((c) => c.predictiveDefaults.fallbacksInBursts / Math.max(1, c.reactiveTuned.fallbacksInBursts)),
      fallback_ratio_cold_vs_reactive: med((c) => c.predictiveCold.fallbacksInBursts / Math.max(1, c.reactiveTuned.fallbacksInBursts)),
      fallback_ratio_oracle_vs_reactive: med((c) => c.oracle.fallbacksInBursts / Math.max(1, c.reactiveTuned.fallbacksInBursts)),
      fallbacks_burst_reactive: med((c) => c.reactiveTuned.fallbacksInBursts),
      fallbacks_burst_predictive: med((c) => c.predictive.fallbacksInBursts),
      p99_ack_ms_burst_reactive: med((c) => c.reactiveTuned.p99AckMsBurst),
      p99_ack_ms_burst_predictive: med((c) => c.predictive.p99AckMsBurst),
      p99_ack_ms_burst_predictive_cold: med((c) => c.predictiveCold.p99AckMsBurst),
      p99_ack_ms_burst_oracle: med((c) => c.oracle.p99AckMsBurst),
      p99_ack_ratio_vs_reactive: med((c) => c.predictive.p99AckMsBurst / c.reactiveTuned.p99AckMsBurst),
      p99_ack_ratio_cold_vs_reactive: med((c) => c.predictiveCold.p99AckMsBurst / c.reactiveTuned.p99AckMsBurst),
      p99_ack_ratio_oracle_vs_reactive: med((c) => c.oracle.p99AckMsBurst / c.reactiveTuned.p99AckMsBurst),
      wasted_prealloc_share: med((c) => c.predictive.preallocWasted / Math.max(1, c.predictive.preallocations)),
      ungated_p99_ack_ratio_vs_reactive: med((c) => c.predictiveUngated.p99AckMsBurst / c.reactiveTuned.p99AckMsBurst),
      ungated_wasted_prealloc_share: med((c) => c.predictiveUngated.preallocWasted / Math.max(1, c.predictiveUngated.preallocations)),
      gate_held_predictive: med((c) => c.predictive.gateHeld),
      wasted_prealloc_share_cold: med((c) => c.predictiveCold.preallocWasted / Math.max(1, c.predictiveCold.preallocations)),
      preallocations_predictive: med((c) => c.predictive.preallocations),
      model_precision: med((c) => c.predictive.quality?.precision ?? 0),
      model_recall: med((c) => c.predictive.quality?.recall ?? 0),
      bytes_copied_ratio_vs_reactive: med((c) => c.predictive.bytesCopied / Math.max(1, c.reactiveTuned.bytesCopied)),
    };
    const drift: PreallocDriftComparison[] = [];
    for (const seed of seeds) {
      const d = comparePreallocDrift({ seed, aggressiveness: AGGRESSIVENESS });
      drift.push(d);
      log(
        `drift seed ${seed}: p99 burst ms reactive ${d.reactiveTuned.p99AckMsBurst.toFixed(0)} (${d.reactiveTuned.setting}), predictive ${d.predictive.p99AckMsBurst.toFixed(0)} ` +
          `(${d.predictive.preallocations} pre-allocations, ${d.predictive.preallocWasted} wasted, ${d.predictive.gateHeld} held back by the gate, shadows ${d.predictive.shadowHits} came / ${d.predictive.shadowsWasted} not), ` +
          `ungated ${d.predictiveUngated.p99AckMsBurst.toFixed(0)} (${d.predictiveUngated.preallocations} pre-allocations, ${d.predictiveUngated.preallocWasted} wasted)`,
      );
    }
    const dmed = (f: (d: PreallocDriftComparison) => number) => Number(median(drift.map(f)).toFixed(3));
    const driftKeys = {
      drift_p99_ack_ratio_vs_reactive: dmed((d) => d.predictive.p99AckMsBurst / d.reactiveTuned.p99AckMsBurst),
      drift_ungated_p99_ack_ratio_vs_reactive: dmed((d) => d.predictiveUngated.p99AckMsBurst / d.reactiveTuned.p99AckMsBurst),
      drift_fallback_ratio_vs_reactive: dmed((d) => d.predictive.fallbacksInBursts / Math.max(1, d.reactiveTuned.fallbacksInBursts)),
      drift_ungated_fallback_ratio_vs_reactive: dmed((d) => d.predictiveUngated.fallbacksInBursts / Math.max(1, d.reactiveTuned.fallbacksInBursts)),
      drift_preallocations: dmed((d) => d.predictive.preallocations),
      drift_ungated_preallocations: dmed((d) => d.predictiveUngated.preallocations),
    };
    const edge = await measureEdgeOverhead({ quick, log });
    return { ...sim, ...driftKeys, ...edge };
  },
};
