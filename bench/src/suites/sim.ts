import { contestMetrics, contestRuns, DEFAULT_POLICIES, moveModelMetrics, QUICK_COPY_POLICIES, runMoveModelSuite, suiteMetrics, withoutAbsentPolicies } from "@shardcast/sim";
import { traceReader } from "@shardcast/sim/cli/io";
import type { Suite } from "../harness.ts";

/**
 * The cluster simulator's policy comparison (packages/sim) on both shipped real trace sets
 * (data/traces) and the workload generators, five seeds each (one with --quick), after a two-week
 * warm-up: `static_peak` (a fixed cluster sized for the peak, the cost ceiling), `reactive` (hosts
 * follow observed load at the product's capacity defaults), `reactive_tuned` (the same at its
 * best-tuned thresholds, see REACTIVE_TUNED), `predictive` (the capacity planner on forecasts, the
 * analyzer, the reactive rebalancer as safety net) and `oracle` (the true future).
 *
 * Headline keys are pooled over workloads and seeds (violation minutes, host-hours and bytes
 * summed per policy before the ratios are taken): `violation_reduction_vs_reactive` (vs the
 * best-tuned reactive; `_default` vs the product defaults), `host_hours_ratio_vs_reactive`,
 * `host_hours_ratio_vs_static_peak`, `bytes_moved_ratio_vs_reactive`,
 * `oracle_violation_reduction_vs_reactive`, the `violation_minutes_*` and `host_hours_*` totals and
 * the worst `max_mean_p99_predictive`. Per workload: the same pooled over its seeds
 * (`<workload>_<key>`) and the median and range over seeds of the ratios
 * (`<workload>_<key>_median|_min|_max`).
 *
 * At equal cost (packages/sim/src/frontier.ts): reactive also runs at capacity targets 0.65, 0.5
 * and 0.35 (reactive_tuned's scale-in ratio and tolerance), tracing what more headroom buys it;
 * `violation_reduction_vs_reactive_equal_cost` compares predictive with reactive's violation
 * minutes interpolated at predictive's own host-hours, pooled like the headline (and per workload),
 * and `reactive_frontier_<target>_*` are the points' totals.
 *
 * The cost floor (packages/sim/src/engine/lower-bound.ts): at every tick the fewest hosts the
 * load fills to capacity, with no provisioning, copy time or imbalance; no policy pays less without
 * violation minutes. `host_hours_lower_bound` (pooled host-hours),
 * `host_hours_lower_bound_ratio_vs_static_peak` (how much of a cost target any policy could take)
 * and `host_hours_ratio_vs_lower_bound_<policy>` (how far each policy is from it); beside it
 * `host_hours_tracking` and `host_hours_tracking_ratio_vs_static_peak`, the cost of following the
 * load exactly at the tuned target utilisation (0.8). All of them also per workload.
 *
 * The bound (packages/sim/src/engine/fill-bound.ts): the fewest host-hours with no cluster-level
 * violation given the true load and a new host's lead (provisioning, then the first move of the
 * run's move model), a dynamic program over host counts. `bound_host_hours` (pooled and per
 * workload), `gap_share_closed_<policy>` = (static peak - policy) / (static peak - bound) host-hours,
 * pooled, per workload and `gap_share_closed_<policy>_median` over workloads. It bounds only
 * operation with no violation: a policy with violation minutes may pass 1.
 *
 * Both move models (packages/sim/src/move-compare.ts): every run above is made with copy moves
 * (the default, as the product's mover copies today: the whole history copied at the copy budget)
 * and again with hand-off moves (a move seals the shardlet and opens its successor on the
 * destination, the load moves in seconds and nothing is copied), same workloads, seeds, policies
 * and frontier; the keys above are the copy runs', the hand-off runs' carry a `handoff_` prefix
 * (`handoff_<key>`, `handoff_<workload>_...`).
 * `handoff_violation_reduction_vs_copy_<policy>` (reactive_tuned, predictive) is 1 - hand-off
 * violation minutes / copy violation minutes, pooled like the headline and per workload, with the
 * median and range over seeds per workload (`<workload>_..._median|_min|_max`), beside
 * `handoff_host_hours_ratio_vs_copy_<policy>`. Twice the runs: about twice the time.
 *
 * The fair contest (packages/sim/src/contest), under hand-off moves (the product's default), keys
 * unprefixed: the predictive policy against the best policy that does not forecast (reactive
 * scaling's frontier or static provisioning, whichever has fewer violation minutes) at 1.00, 1.05,
 * 1.10 and 1.20x reactive_tuned's host-hours, each read off its own frontier (reactive and
 * predictive six points or more along their capacity target, static four along its size), with
 * their knobs tuned by the same search on data never scored (CONTEST_KNOBS):
 * `<group>_equal_cost_reduction_<1_00|1_05|1_10|1_20>`, `<group>_equal_cost_ratio` (at 1.00) with its
 * bootstrap 95% interval over runs (`_ci_lo`, `_ci_hi`), `<group>_slo_host_hours_ratio` (host-hours
 * predictive needs to keep at most 0.1% of the measured minutes over capacity against the cheapest
 * non-forecasting policy that keeps it), for the groups `predictable`, `burst`, `pooled`,
 * `predictable_unhinted` (without flash-crowd, whose clients announce load) and
 * `contest_<workload>`; `contest_reads_below_frontier_<policy>` counts reads below a policy's
 * cheapest point. Beside them the oracle's own frontier (six points along its capacity target):
 * `<group>_equal_cost_oracle_minutes_<cost>` against `<group>_equal_cost_oracle_baseline_minutes_<cost>`,
 * what foresight buys through the same planners at the same cost. A quick run makes copy runs of static_peak, reactive_tuned and predictive only,
 * without their frontier (the other policies' and the equal-cost keys of copies are left out).
 *
 * The simulation is deterministic, so there is no baseline to interleave: the figures repeat
 * exactly for the seeds; only the `*_wall_s_*` timings vary with the machine.
 */
export const simSuite: Suite = {
  name: "sim",
  description: "elastic policy comparison on a virtual clock, hand-off and copy moves: violation minutes, host-hours, bytes moved (real traces and generators, five seeds)",
  async run({ quick, log }) {
    await Promise.resolve();
    const both = runMoveModelSuite({ quick, readTrace: traceReader(undefined), log, frontier: true, contest: true });
    const copy = withoutAbsentPolicies(suiteMetrics(both.copy), quick ? QUICK_COPY_POLICIES : DEFAULT_POLICIES);
    return { ...copy, ...moveModelMetrics(both), ...contestMetrics(contestRuns(both.handoff.seeds)) };
  },
};
