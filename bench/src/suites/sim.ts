import { runSuite, suiteMetrics } from "@shardcast/sim";
import { traceReader } from "@shardcast/sim/cli/io";
import type { Suite } from "../harness.ts";

/**
 * The cluster simulator's policy comparison (packages/sim): static hashing, reactive thresholds,
 * forecast-driven placement and an oracle, on both shipped real trace sets (data/traces) and the
 * workload generators, a month each (the dos traces are three weeks), default cluster, seed 1.
 *
 * The headline keys (`violation_minutes_*`, `violation_reduction_vs_reactive`,
 * `bytes_moved_ratio_vs_reactive`, `max_mean_p99_predictive`) are pooled over the workloads:
 * violation minutes and bytes are summed per policy before the ratios are taken, and the p99
 * max/mean host load is the worst workload's. Every key is also given per workload
 * (`<workload>_<key>`, e.g. `dos_traces_violation_minutes_reactive`).
 *
 * The simulation is deterministic, so there is no baseline to interleave: the figures repeat
 * exactly for the seed; only the `*_wall_s_*` timings vary with the machine.
 */
export const simSuite: Suite = {
  name: "sim",
  description: "policy comparison on a virtual clock: violation minutes, load spread, bytes moved (real traces and generators)",
  async run({ quick, log }) {
    await Promise.resolve();
    const run = runSuite({ quick, readTrace: traceReader(undefined), log });
    return suiteMetrics(run);
  },
};
