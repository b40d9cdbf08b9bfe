import { compareCheckpointPolicies, createRng, type CheckpointComparison } from "@shardcast/core";
import { traceReader } from "@shardcast/sim/cli/io";
import { loadDosTraces, loadNabTraces, type TraceSet } from "@shardcast/sim/workload/traces";
import { median } from "../harness.ts";

/**
 * Predictive checkpointing vs its baselines, replaying the shipped hourly traces as arrival rates.
 * Parameters come from the product, not from the traces: a 30 s replay bound (the default
 * threshold), the checkpoint job's 5 s period as the decision interval, 1 ms of processing per
 * event, and one trace hour played as one minute so a 7-day window is under three hours of arrivals.
 * Each shardlet is a trace series scaled to a mean of a few hundred events/s (a seeded random
 * factor) over a 7-day window that starts at one of several cut-offs; the seven days before the
 * window are forecasting history only.
 *
 * Per window, every policy is held to the same p99 replay bound (failure times on a uniform grid):
 * the largest fixed interval that keeps it; the product's predictive policy with threshold and
 * bound at 30 s and the settings' default horizon (one decision interval), the same with a 60 s
 * horizon (`long_horizon_`) and with the forecast used at every decision (`ungated_`: the product
 * uses it only while it predicts the next interval better than the rate just observed); reactive
 * without a forecast (the bound minus one interval's arrivals at the rate just observed), and
 * reactive with a safety margin tuned per window with hindsight; and an oracle that knows the next
 * interval's arrivals.
 */
const BOUND_SEC = 30;
const DECISION_SEC = 5;
const REPLAY_SEC_PER_EVENT = 0.001;
const STEP_SEC = 60;
const WINDOW_STEPS = 7 * 24;
const WARMUP_STEPS = 7 * 24;
const LONG_HORIZON_SEC = 60;

interface Run {
  set: string;
  comparison: CheckpointComparison;
}

function runs(set: TraceSet, opts: { cutoffs: number; seeds: number; decisionSec: number }): Run[] {
  const out: Run[] = [];
  for (const series of set.series) {
    const span = WARMUP_STEPS + WINDOW_STEPS;
    if (series.values.length < span) continue;
    const room = series.values.length - span;
    for (let c = 0; c < opts.cutoffs; c++) {
      const start = opts.cutoffs === 1 ? room : Math.round((room * c) / (opts.cutoffs - 1));
      const raw = series.values.slice(start, start + span);
      const mean = raw.slice(WARMUP_STEPS).reduce((a, b) => a + b, 0) / WINDOW_STEPS;
      if (!(mean > 0)) continue;
      for (let s = 0; s < opts.seeds; s++) {
        const rng = createRng(`ckpt-${set.name}-${series.name}-${c}-${s}`);
        const target = 150 + rng.next() * 450;
        const rates = raw.map((v) => (v / mean) * target);
        out.push({ set: set.name, comparison: compareCheckpointPolicies({ rates, stepSec: STEP_SEC, warmup: WARMUP_STEPS, replaySecPerEvent: REPLAY_SEC_PER_EVENT, boundSec: BOUND_SEC, decisionIntervalSec: opts.decisionSec, longHorizonSec: LONG_HORIZON_SEC, period: 24 }) });
      }
    }
  }
  return out;
}

function summarize(prefix: string, rs: readonly Run[]): Record<string, number> {
  if (rs.length === 0) return {};
  const med = (f: (c: CheckpointComparison) => number) => median(rs.map((r) => f(r.comparison)));
  const worst = (f: (c: CheckpointComparison) => number) => Math.max(...rs.map((r) => f(r.comparison)));
  const misses = (f: (c: CheckpointComparison) => number) => rs.filter((r) => f(r.comparison) > BOUND_SEC + 1e-9).length / rs.length;
  return {
    [`${prefix}checkpoints_ratio_vs_fixed`]: med((c) => c.predictive.checkpoints / c.fixed.checkpoints),
    [`${prefix}checkpoints_ratio_vs_reactive`]: med((c) => c.predictive.checkpoints / c.reactive.checkpoints),
    [`${prefix}checkpoints_ratio_vs_oracle`]: med((c) => c.predictive.checkpoints / c.oracle.checkpoints),
    // A minute's look-ahead: with the threshold at the bound, looking further ahead only checkpoints earlier.
    [`${prefix}long_horizon_checkpoints_ratio_vs_fixed`]: med((c) => c.predictiveLong.checkpoints / c.fixed.checkpoints),
    [`${prefix}long_horizon_checkpoints_ratio_vs_reactive`]: med((c) => c.predictiveLong.checkpoints / c.reactive.checkpoints),
    [`${prefix}long_horizon_checkpoints_ratio_vs_oracle`]: med((c) => c.predictiveLong.checkpoints / c.oracle.checkpoints),
    // The forecast used at every decision, skilled or not: what the forecast gate saves.
    [`${prefix}ungated_checkpoints_ratio_vs_fixed`]: med((c) => c.predictiveUngated.checkpoints / c.fixed.checkpoints),
    [`${prefix}ungated_checkpoints_ratio_vs_reactive`]: med((c) => c.predictiveUngated.checkpoints / c.reactive.checkpoints),
    [`${prefix}reactive_checkpoints_ratio_vs_fixed`]: med((c) => c.reactive.checkpoints / c.fixed.checkpoints),
    [`${prefix}reactive_tuned_checkpoints_ratio_vs_fixed`]: med((c) => c.reactiveTuned.checkpoints / c.fixed.checkpoints),
    [`${prefix}oracle_checkpoints_ratio_vs_fixed`]: med((c) => c.oracle.checkpoints / c.fixed.checkpoints),
    [`${prefix}p99_replay_s_predictive`]: med((c) => c.predictive.p99ReplaySec),
    [`${prefix}p99_replay_s_long_horizon`]: med((c) => c.predictiveLong.p99ReplaySec),
    [`${prefix}p99_replay_s_fixed`]: med((c) => c.fixed.p99ReplaySec),
    [`${prefix}p99_replay_s_reactive`]: med((c) => c.reactive.p99ReplaySec),
    [`${prefix}max_replay_s_predictive`]: worst((c) => c.predictive.maxReplaySec),
    [`${prefix}max_replay_s_long_horizon`]: worst((c) => c.predictiveLong.maxReplaySec),
    [`${prefix}max_replay_s_fixed`]: worst((c) => c.fixed.maxReplaySec),
    [`${prefix}max_replay_s_reactive`]: worst((c) => c.reactive.maxReplaySec),
    [`${prefix}fixed_interval_s_median`]: med((c) => c.fixed.intervalSec),
    // Tuned per window with hindsight: what a reactive rule needs and the product does not.
    [`${prefix}reactive_tuned_margin_median`]: med((c) => c.reactiveTuned.margin),
    [`${prefix}predictive_misses_bound_share`]: misses((c) => c.predictive.p99ReplaySec),
    [`${prefix}long_horizon_misses_bound_share`]: misses((c) => c.predictiveLong.p99ReplaySec),
    [`${prefix}reactive_misses_bound_share`]: misses((c) => c.reactive.p99ReplaySec),
    [`${prefix}windows`]: rs.length,
  };
}

/** The checkpoint half of the `consumers` suite (deterministic: figures repeat exactly). */
export async function checkpointMetrics({ quick, log }: { quick: boolean; log: (line: string) => void }): Promise<Record<string, number>> {
  await Promise.resolve();
  const read = traceReader(undefined);
  const opts = quick ? { cutoffs: 3, seeds: 1 } : { cutoffs: 4, seeds: 3 };
  const sets = [loadDosTraces(read), loadNabTraces(read)];
  const [dos, nab] = sets.map((set) => runs(set, { ...opts, decisionSec: DECISION_SEC }));
  log(`checkpoint replay: ${dos!.length} dos-traces and ${nab!.length} nab-tweets windows, decisions every ${DECISION_SEC} s`);
  return { ...summarize("", [...dos!, ...nab!]), ...summarize("dos_", dos!), ...summarize("nab_", nab!) };
}
