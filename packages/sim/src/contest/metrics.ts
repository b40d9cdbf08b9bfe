import { bootstrapRatio, type RatioSample } from "./bootstrap.ts";
import { HINTED_WORKLOADS, WORKLOAD_CLASS } from "./classes.ts";
import type { FrontierPoint } from "../frontier.ts";
import { baselineAt, COST_MULTIPLIERS, readAt, sloHostHours, type ContestFrontiers } from "./matched.ts";
import { CONTEST_POLICIES } from "./policies.ts";

/** One scored run of the contest: reactive_tuned's host-hours (the cost anchor) and every policy's frontier. */
export interface ContestRun {
  workload: string;
  seed: number;
  anchorHostHours: number;
  measuredMinutes: number;
  frontiers: ContestFrontiers;
  /** The oracle's own frontier (the true future through the same planners), where the suite ran it. */
  oracle?: FrontierPoint[];
}

const costKey = (m: number) => m.toFixed(2).replace(".", "_");

/** 1 - a / b; 0 when neither had any, -1 when only `a` had some (a loss with nothing to scale it by). */
const reduction = (a: number, b: number) => (b > 0 ? 1 - a / b : a > 0 ? -1 : 0);
/**
 * A ratio for a key where it is infinite (the baseline had no violation minutes, predictive some):
 * a large number, so a ratio that says "no bound" never reads as a small one.
 */
export const INFINITE_RATIO = 1e6;
const finite = (v: number) => (Number.isFinite(v) ? v : INFINITE_RATIO);

/** The keys of one group of runs (a class, a workload, all), each under `prefix`. */
function groupMetrics(runs: readonly ContestRun[], prefix: string): Record<string, number> {
  const out: Record<string, number> = { [`${prefix}samples`]: runs.length };
  for (const m of COST_MULTIPLIERS) {
    const k = costKey(m);
    const samples: RatioSample[] = [];
    let staticReads = 0;
    for (const r of runs) {
      const cost = m * r.anchorHostHours;
      const base = baselineAt(r.frontiers, cost);
      if (base.policy === "static") staticReads++;
      samples.push({ num: readAt(r.frontiers.predictive, cost).minutes, den: base.minutes });
    }
    const pred = samples.reduce((a, s) => a + s.num, 0);
    const base = samples.reduce((a, s) => a + s.den, 0);
    // What foresight buys at the same cost, over the runs that have the oracle's frontier.
    const withOracle = runs.filter((r) => r.oracle !== undefined && r.oracle.length > 0);
    if (withOracle.length > 0) {
      out[`${prefix}equal_cost_oracle_minutes_${k}`] = withOracle.reduce((a, r) => a + readAt(r.oracle!, m * r.anchorHostHours).minutes, 0);
      out[`${prefix}equal_cost_oracle_baseline_minutes_${k}`] = withOracle.reduce((a, r) => a + baselineAt(r.frontiers, m * r.anchorHostHours).minutes, 0);
    }
    out[`${prefix}equal_cost_reduction_${k}`] = reduction(pred, base);
    out[`${prefix}equal_cost_predictive_minutes_${k}`] = pred;
    out[`${prefix}equal_cost_baseline_minutes_${k}`] = base;
    out[`${prefix}equal_cost_baseline_static_share_${k}`] = runs.length > 0 ? staticReads / runs.length : 0;
    const ci = bootstrapRatio(samples, { seed: `${prefix}${k}` });
    const suffix = m === 1 ? "" : `_${k}`;
    out[`${prefix}equal_cost_ratio${suffix}`] = finite(ci.ratio);
    out[`${prefix}equal_cost_ratio${suffix}_ci_lo`] = finite(ci.lo);
    out[`${prefix}equal_cost_ratio${suffix}_ci_hi`] = finite(ci.hi);
  }
  // Host-hours to hold the SLO, over the runs where both sides can hold it.
  let pred = 0;
  let base = 0;
  let unreachedPredictive = 0;
  let unreachedBaseline = 0;
  for (const r of runs) {
    const slo = sloHostHours(r.frontiers, r.measuredMinutes);
    if (!Number.isFinite(slo.predictive)) unreachedPredictive++;
    if (!Number.isFinite(slo.baseline)) unreachedBaseline++;
    if (!Number.isFinite(slo.predictive) || !Number.isFinite(slo.baseline)) continue;
    pred += slo.predictive;
    base += slo.baseline;
  }
  // Left out where no run had both sides hold the SLO: there is nothing to compare.
  if (base > 0) out[`${prefix}slo_host_hours_ratio`] = pred / base;
  out[`${prefix}slo_host_hours_predictive`] = pred;
  out[`${prefix}slo_host_hours_baseline`] = base;
  out[`${prefix}slo_unreached_predictive`] = unreachedPredictive;
  out[`${prefix}slo_unreached_baseline`] = unreachedBaseline;
  return out;
}

/**
 * The fair contest's keys: per class (`predictable_`, `burst_`), pooled (`pooled_`), the
 * predictable class without the workloads whose clients announce load (`predictable_unhinted_`:
 * hints are not forecasting) and per workload (`<workload>_`). Predictive is read off its own
 * frontier at 1.00, 1.05, 1.10 and 1.20x reactive_tuned's host-hours of the same run, against the
 * best non-forecasting frontier there; minutes are summed over runs before the ratio, and the ratio's
 * 95% interval is a bootstrap over the runs (workloads x seeds). Beside them, how many reads fell
 * below a policy's cheapest point (credited with more hosts than the cost) and each frontier's
 * fewest points. Where the runs have the oracle's frontier, its minutes at the same costs
 * (`equal_cost_oracle_minutes_<cost>`) and the baseline's over the same runs: what knowing the
 * future buys through the same planners.
 */
export function contestMetrics(runs: readonly ContestRun[]): Record<string, number> {
  if (runs.length === 0) return {};
  const cls = (r: ContestRun) => WORKLOAD_CLASS[r.workload as keyof typeof WORKLOAD_CLASS];
  const out: Record<string, number> = {
    ...groupMetrics(runs, "pooled_"),
    ...groupMetrics(runs.filter((r) => cls(r) === "predictable"), "predictable_"),
    ...groupMetrics(runs.filter((r) => cls(r) === "predictable" && !HINTED_WORKLOADS.has(r.workload)), "predictable_unhinted_"),
    ...groupMetrics(runs.filter((r) => cls(r) === "burst"), "burst_"),
  };
  for (const w of new Set(runs.map((r) => r.workload))) Object.assign(out, groupMetrics(runs.filter((r) => r.workload === w), `contest_${w.replace(/-/g, "_")}_`));
  for (const p of CONTEST_POLICIES) {
    let below = 0;
    for (const r of runs) for (const m of COST_MULTIPLIERS) if (readAt(r.frontiers[p], m * r.anchorHostHours).below) below++;
    out[`contest_reads_below_frontier_${p}`] = below;
    out[`contest_frontier_points_${p}`] = Math.min(...runs.map((r) => r.frontiers[p].length));
  }
  const oracles = runs.flatMap((r) => (r.oracle ? [r.oracle.length] : []));
  if (oracles.length > 0) out.contest_frontier_points_oracle = Math.min(...oracles);
  return out;
}

/** The contest runs of a suite's seed runs (those that ran it). */
export function contestRuns(seeds: ReadonlyArray<{ workload: string; seed: number; contest?: Omit<ContestRun, "workload" | "seed"> }>): ContestRun[] {
  return seeds.flatMap((r) => (r.contest ? [{ workload: r.workload, seed: r.seed, ...r.contest }] : []));
}
