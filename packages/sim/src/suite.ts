import { median } from "@shardcast/core";
import type { ContestRun } from "./contest/metrics.ts";
import { contestRun } from "./contest/run.ts";
import { scoredStartDay } from "./contest/windows.ts";
import { compare, DEFAULT_POLICIES, summarizeTotals, type Comparison, type ComparisonSummary, type PolicyName } from "./compare.ts";
import type { PolicyMetrics } from "./engine/metrics.ts";
import { fillBoundHostHours } from "./engine/fill-bound.ts";
import { hostHoursLowerBound } from "./engine/lower-bound.ts";
import { boundMedians, boundMetrics } from "./gap-share.ts";
import { reactiveFrontier, violationsAtCost, type FrontierPoint } from "./frontier.ts";
import { scenario, type ScenarioOptions } from "./scenario.ts";
import { REACTIVE_TUNED } from "./tuned.ts";
import type { WorkloadName } from "./workload/catalog.ts";
import type { TraceReader } from "./workload/traces.ts";

/**
 * The comparison the README reports: both shipped real trace sets and every generator, each run
 * with several seeds. A run is a warm-up of 15 days (the weekly-seasonal forecasts need two weeks
 * of history; nothing is measured there) and then a measured week (the dos traces are three weeks
 * long, so they have six measured days; the flat workload, where nothing should happen, one).
 * Quick runs measure two days.
 */
export const SUITE_WORKLOADS: ReadonlyArray<{ name: WorkloadName; days: number; quickDays: number }> = [
  { name: "dos-traces", days: 21, quickDays: 17 },
  { name: "nab-tweets", days: 22, quickDays: 17 },
  { name: "diurnal", days: 22, quickDays: 17 },
  { name: "zipf-drift", days: 22, quickDays: 17 },
  { name: "flash-crowd", days: 22, quickDays: 17 },
  { name: "ramp", days: 22, quickDays: 17 },
  { name: "tenants", days: 22, quickDays: 17 },
  { name: "flat", days: 16, quickDays: 16 },
];

/** Seeds of the reported runs (the tuning of `reactive_tuned` used others: see REACTIVE_TUNED). */
export const SUITE_SEEDS: readonly number[] = [1, 2, 3, 4, 5];
export const SUITE_QUICK_SEEDS: readonly number[] = [1];
/** Kept for callers that ran one seed. */
export const SUITE_SEED = 1;

/** One policy's totals in one run: what pooling and the per-seed figures need (the full run is kept for the first seed only). */
export type RunTotals = Pick<PolicyMetrics, "violationMinutes" | "hostHours" | "bytesMoved" | "maxMeanP99" | "migrations" | "p99LatencyMs" | "hostsMin" | "hostsMax" | "shardletsMax">;

export interface SeedRun {
  workload: string;
  seed: number;
  /** First day of the trace the run replays (0 or absent for generators; see `scoredStartDay`). */
  startDay?: number;
  summary: ComparisonSummary;
  policies: Partial<Record<PolicyName, RunTotals>>;
  /**
   * Reactive scaling's cost/violation frontier (reactive_tuned's point first, then more headroom)
   * and its violation minutes at the predictive policy's host-hours; absent when not run.
   */
  frontier?: { points: FrontierPoint[]; reactiveAtPredictiveCost: number };
  /** The fair contest's frontiers of the run (contest/run.ts); absent when not run. */
  contest?: Omit<ContestRun, "workload" | "seed">;
  /** The workload's host-hours floor (see engine/lower-bound.ts): no policy has fewer without violation minutes. */
  lowerBoundHostHours: number;
  /**
   * The same at the tuned policies' target utilisation (REACTIVE_TUNED's, which predictive shares):
   * the cost of following the load exactly with that headroom, with no provisioning, copy time or imbalance.
   */
  trackingHostHours: number;
  /**
   * The fewest host-hours with no violation given the true load and a new host's lead under the
   * run's move model (engine/fill-bound.ts): the bound of the gap shares.
   */
  boundHostHours: number;
  wallMs: number;
}

export interface SuiteRun {
  /** The first seed's comparison of every workload (charts, tables). */
  comparisons: Comparison[];
  /** Every workload and seed. */
  seeds: SeedRun[];
  /** The headline keys, pooled over workloads and seeds (see `pooledSummary`). */
  headline: ComparisonSummary;
}

const totalsOf = (m: PolicyMetrics): RunTotals => ({
  violationMinutes: m.violationMinutes,
  hostHours: m.hostHours,
  bytesMoved: m.bytesMoved,
  maxMeanP99: m.maxMeanP99,
  migrations: m.migrations,
  p99LatencyMs: m.p99LatencyMs,
  hostsMin: m.hostsMin,
  hostsMax: m.hostsMax,
  shardletsMax: m.shardletsMax,
});

/**
 * Pools runs: violation minutes, host-hours and bytes moved are summed per policy before the
 * ratios are taken (so a run where reactive had nothing to reduce neither helps nor hurts), and
 * the p99 max/mean load is the worst run's.
 */
export function pooledSummary(runs: readonly SeedRun[]): ComparisonSummary {
  const total = (p: PolicyName, k: "violationMinutes" | "hostHours" | "bytesMoved") => runs.reduce((acc, r) => acc + (r.policies[p]?.[k] ?? 0), 0);
  return summarizeTotals(total, Math.max(0, ...runs.map((r) => r.summary.max_mean_p99_predictive)));
}

export interface SuiteOptions {
  quick: boolean;
  readTrace: TraceReader;
  log?: (line: string) => void;
  only?: readonly WorkloadName[];
  /** Seeds instead of the suite's. */
  seeds?: readonly number[];
  policies?: readonly PolicyName[];
  /** Also run reactive at more headroom for the equal-cost comparison (see frontier.ts); needs reactive_tuned and predictive. */
  frontier?: boolean;
  /** Also run the fair contest's frontiers (contest/run.ts); needs the frontier and static_peak. */
  contest?: boolean;
  /** Cluster, policy and load overrides applied to every workload (the CLI's options). */
  overrides?: Pick<ScenarioOptions, "cluster" | "policy" | "peakUtilisation" | "capacity" | "warmupDays">;
}

/**
 * A run's cost floor (engine/lower-bound.ts) and the host-hours of following its load exactly at
 * the tuned target utilisation (REACTIVE_TUNED's, which predictive shares).
 */
export function costFloors(workload: Comparison["workload"], config: Comparison["config"]): Pick<SeedRun, "lowerBoundHostHours" | "trackingHostHours" | "boundHostHours"> {
  return {
    boundHostHours: fillBoundHostHours(workload, config).hostHours,
    lowerBoundHostHours: hostHoursLowerBound(workload, config).hostHours,
    trackingHostHours: hostHoursLowerBound(workload, config, config.cluster.hostCapacityEventsPerSec * REACTIVE_TUNED.targetUtilization).hostHours,
  };
}

export function runSuite(opts: SuiteOptions): SuiteRun {
  const comparisons: Comparison[] = [];
  const seeds: SeedRun[] = [];
  const seedList = opts.seeds ?? (opts.quick ? SUITE_QUICK_SEEDS : SUITE_SEEDS);
  const workloads = SUITE_WORKLOADS.filter((w) => !opts.only || opts.only.includes(w.name));
  const total = workloads.length * seedList.length;
  const started = performance.now();
  for (const w of workloads) {
    for (const [index, seed] of seedList.entries()) {
      const t0 = performance.now();
      const days = opts.quick ? w.quickDays : w.days;
      // A trace's runs score consecutive windows of it, one per seed, not the same days again.
      const startDay = scoredStartDay(w.name, index, days);
      const { workload, config } = scenario({ ...opts.overrides, workload: w.name, seed, days, readTrace: opts.readTrace, ...(startDay > 0 ? { params: { startDay } } : {}) });
      const c = compare(workload, config, { policies: opts.policies ?? DEFAULT_POLICIES });
      const policies: SeedRun["policies"] = {};
      for (const r of c.runs) policies[r.policy as PolicyName] = totalsOf(r.metrics);
      const tuned = policies.reactive_tuned;
      const predictive = policies.predictive;
      let frontier: SeedRun["frontier"];
      if (opts.frontier && tuned && predictive) {
        const points = [{ targetUtilization: REACTIVE_TUNED.targetUtilization, hostHours: tuned.hostHours, violationMinutes: tuned.violationMinutes }, ...reactiveFrontier(workload, config, c.layout)];
        frontier = { points, reactiveAtPredictiveCost: violationsAtCost(points, predictive.hostHours) };
      }
      const fixed = policies.static_peak;
      const contest = opts.contest && frontier && tuned && predictive && fixed ? contestRun(workload, config, c.layout, { reactive: tuned, predictive, static: fixed, reactiveFrontier: frontier.points.slice(1), oracle: policies.oracle }) : undefined;
      const floors = costFloors(workload, config);
      const wallMs = performance.now() - t0;
      seeds.push({ workload: w.name, seed, startDay, summary: c.summary, policies, ...(frontier ? { frontier } : {}), ...(contest ? { contest } : {}), ...floors, wallMs });
      if (seed === seedList[0]) comparisons.push(c);
      const s = c.summary;
      opts.log?.(
        `[${seeds.length}/${total}] ${w.name} seed ${seed}${startDay > 0 ? ` from day ${startDay}` : ""}: violation minutes static_peak ${s.violation_minutes_static_peak.toFixed(0)}, reactive ${s.violation_minutes_reactive.toFixed(0)}, ` +
          `reactive_tuned ${s.violation_minutes_reactive_tuned.toFixed(0)}, predictive ${s.violation_minutes_predictive.toFixed(0)}, hybrid ${s.violation_minutes_hybrid.toFixed(0)}, oracle ${s.violation_minutes_oracle.toFixed(0)}; ` +
          `host-hours ${DEFAULT_POLICIES.map((p) => (policies[p]?.hostHours ?? 0).toFixed(0)).join("/")} ` +
          `(${(wallMs / 1000).toFixed(1)} s, ${((performance.now() - started) / 1000).toFixed(0)} s in all)`,
      );
    }
  }
  return { comparisons, seeds, headline: pooledSummary(seeds) };
}

/** The median of the finite values; -1 when there are none (a ratio no seed could give). */
function finiteMedian(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x));
  return v.length === 0 ? -1 : median(v);
}

/** Keys given per workload with their median, min and max over seeds. */
const RANGED_KEYS: ReadonlyArray<keyof ComparisonSummary> = [
  "violation_reduction_vs_reactive",
  "violation_reduction_vs_reactive_default",
  "oracle_violation_reduction_vs_reactive",
  "host_hours_ratio_vs_reactive",
  "host_hours_ratio_vs_static_peak",
  "bytes_moved_ratio_vs_reactive",
];

/**
 * Flat numeric keys: the pooled headline; per workload (dashes become underscores) its pooled
 * summary over seeds as `<workload>_<key>`, the median and range over seeds of the main ratios
 * (`<workload>_<key>_median|_min|_max`), and per policy its bytes, migrations and latency (first seed).
 */
/**
 * The equal-cost keys over the runs that have a frontier (pooled like the headline): predictive's
 * violation minutes against reactive's at the same host-hours, and each frontier point's totals.
 */
export function equalCostMetrics(runs: readonly SeedRun[], prefix = ""): Record<string, number> {
  const withFrontier = runs.filter((r) => r.frontier && r.policies.predictive);
  if (withFrontier.length === 0) return {};
  const predictive = withFrontier.reduce((a, r) => a + r.policies.predictive!.violationMinutes, 0);
  const reactive = withFrontier.reduce((a, r) => a + r.frontier!.reactiveAtPredictiveCost, 0);
  const out: Record<string, number> = {
    [`${prefix}violation_minutes_reactive_at_predictive_cost`]: reactive,
    [`${prefix}violation_reduction_vs_reactive_equal_cost`]: reactive > 0 ? 1 - predictive / reactive : 0,
  };
  const targets = new Set(withFrontier.flatMap((r) => r.frontier!.points.map((p) => p.targetUtilization)));
  for (const t of targets) {
    const at = withFrontier.map((r) => r.frontier!.points.find((p) => p.targetUtilization === t)).filter((p): p is FrontierPoint => p !== undefined);
    const key = `${prefix}reactive_frontier_${String(t).replace(".", "_")}`;
    out[`${key}_host_hours`] = at.reduce((a, p) => a + p.hostHours, 0);
    out[`${key}_violation_minutes`] = at.reduce((a, p) => a + p.violationMinutes, 0);
  }
  return out;
}

/**
 * The cost floor's keys, pooled like the headline: the floor's host-hours, its ratio to static
 * peak (how much of a cost target any policy could take) and every policy's host-hours over it;
 * and the host-hours of following the load exactly at the tuned target utilisation, with its ratio
 * to static peak (what is left of a cost target for provisioning, copies and imbalance).
 */
export function lowerBoundMetrics(runs: readonly SeedRun[], prefix = ""): Record<string, number> {
  const bound = runs.reduce((a, r) => a + r.lowerBoundHostHours, 0);
  if (!(bound > 0)) return {};
  const out: Record<string, number> = { [`${prefix}host_hours_lower_bound`]: bound };
  const hours = (p: PolicyName) => runs.reduce((a, r) => a + (r.policies[p]?.hostHours ?? 0), 0);
  const tracking = runs.reduce((a, r) => a + r.trackingHostHours, 0);
  out[`${prefix}host_hours_tracking`] = tracking;
  const staticPeak = hours("static_peak");
  if (staticPeak > 0) {
    out[`${prefix}host_hours_lower_bound_ratio_vs_static_peak`] = bound / staticPeak;
    out[`${prefix}host_hours_tracking_ratio_vs_static_peak`] = tracking / staticPeak;
  }
  for (const p of new Set(runs.flatMap((r) => Object.keys(r.policies) as PolicyName[]))) out[`${prefix}host_hours_ratio_vs_lower_bound_${p}`] = hours(p) / bound;
  return out;
}

export function suiteMetrics(run: SuiteRun): Record<string, number> {
  const out: Record<string, number> = {};
  const finite = (v: number) => (Number.isFinite(v) ? v : -1);
  for (const [k, v] of Object.entries(run.headline) as Array<[string, number]>) out[k] = finite(v);
  Object.assign(out, equalCostMetrics(run.seeds));
  Object.assign(out, lowerBoundMetrics(run.seeds));
  Object.assign(out, boundMetrics(run.seeds), boundMedians(run.seeds));
  out.seeds_per_workload = run.seeds.length > 0 ? run.seeds.length / new Set(run.seeds.map((s) => s.workload)).size : 0;
  for (const name of new Set(run.seeds.map((s) => s.workload))) {
    const runs = run.seeds.filter((s) => s.workload === name);
    const w = name.replace(/-/g, "_");
    for (const [k, v] of Object.entries(pooledSummary(runs)) as Array<[string, number]>) out[`${w}_${k}`] = finite(v);
    Object.assign(out, equalCostMetrics(runs, `${w}_`));
    Object.assign(out, lowerBoundMetrics(runs, `${w}_`));
    Object.assign(out, boundMetrics(runs, `${w}_`));
    for (const k of RANGED_KEYS) {
      const vals = runs.map((r) => r.summary[k]).filter((x) => Number.isFinite(x));
      out[`${w}_${k}_median`] = finiteMedian(vals);
      out[`${w}_${k}_min`] = vals.length > 0 ? Math.min(...vals) : -1;
      out[`${w}_${k}_max`] = vals.length > 0 ? Math.max(...vals) : -1;
    }
    const first = runs[0]!;
    for (const [p, t] of Object.entries<RunTotals>(first.policies)) {
      out[`${w}_bytes_moved_gb_${p}`] = t.bytesMoved / 1e9;
      out[`${w}_migrations_${p}`] = t.migrations;
      out[`${w}_p99_latency_ms_${p}`] = t.p99LatencyMs;
      out[`${w}_hosts_min_${p}`] = t.hostsMin;
      out[`${w}_hosts_max_${p}`] = t.hostsMax;
    }
    out[`${w}_wall_s_per_seed`] = finiteMedian(runs.map((r) => r.wallMs)) / 1000;
    out[`${w}_shardlets_max`] = Math.max(...runs.flatMap((r) => Object.values(r.policies).map((t) => t.shardletsMax)));
  }
  return out;
}
