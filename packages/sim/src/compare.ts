import { REACTIVE_TUNED, type SimConfig } from "./config.ts";
import { CONTEST_KNOBS } from "./tuned.ts";
import { defaultLayout, type InitialLayout } from "./engine/layout.ts";
import type { PolicyMetrics } from "./engine/metrics.ts";
import { simulate, simulation, type PolicyRun } from "./engine/simulation.ts";
import type { Policy } from "./engine/types.ts";
import { oraclePolicy, predictiveWith } from "./policies/predictive.ts";
import { reactivePolicy, reactiveTunedAt } from "./policies/reactive.ts";
import { staticPolicy } from "./policies/static.ts";
import type { SimWorkload } from "./workload/types.ts";

export const POLICY_NAMES = ["static", "static_peak", "reactive", "reactive_tuned", "predictive", "hybrid", "oracle"] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];
/** What a comparison runs by default: `static` (hashing, nothing moves, no scaling) only on request. */
export const DEFAULT_POLICIES: readonly PolicyName[] = ["static_peak", "reactive", "reactive_tuned", "predictive", "hybrid", "oracle"];
/**
 * What the console's what-if runs: every policy, `static` included, since an operator weighing
 * thresholds on a real cluster also wants to see what doing nothing would have cost.
 */
// Not the hybrid yet: the console's chart, colours and schema name these six.
export const WHATIF_POLICIES: readonly PolicyName[] = POLICY_NAMES.filter((p) => p !== "hybrid");

export function makePolicy(name: PolicyName, config: SimConfig): Policy {
  switch (name) {
    case "static":
      return staticPolicy();
    case "static_peak":
      // The run's own tolerance (the what-if's operator may have set one); the contest's static
      // points use CONTEST_KNOBS.static, which tuning left at the run's default.
      return reactivePolicy({ name, elastic: "peak", outlook: CONTEST_KNOBS.static.outlook });
    case "reactive":
      return reactivePolicy();
    case "reactive_tuned":
      return reactiveTunedAt(REACTIVE_TUNED.targetUtilization, name);
    case "predictive":
      return predictiveWith(config.policy.forecaster, config.policy.predictiveCapacity, "forecast", CONTEST_KNOBS.predictive.outlook);
    case "hybrid":
      // The product's capacity plan, with predictive's forecaster and thresholds: only the plan differs.
      return predictiveWith(config.policy.forecaster, config.policy.predictiveCapacity, "hybrid");
    case "oracle":
      return oraclePolicy();
  }
}

/** The headline figures of one comparison (the bench suite's keys, per workload). */
export interface ComparisonSummary {
  /** Static sizing: the cluster sized for the peak (`static_peak`; the hashing-only `static` when that ran instead). */
  violation_minutes_static: number;
  violation_minutes_static_peak: number;
  /** Reactive at the product's defaults. */
  violation_minutes_reactive: number;
  violation_minutes_reactive_tuned: number;
  violation_minutes_predictive: number;
  violation_minutes_oracle: number;
  /** The skill-gated hybrid capacity plan (predict up, react down), otherwise predictive. */
  violation_minutes_hybrid: number;
  /** 1 - hybrid / reactive_tuned. */
  hybrid_violation_reduction_vs_reactive: number;
  /** 1 - predictive / reactive_tuned (the best-tuned reactive); 0 when it had none (nothing to reduce). */
  violation_reduction_vs_reactive: number;
  /** 1 - predictive / reactive at the product defaults. */
  violation_reduction_vs_reactive_default: number;
  /** 1 - oracle / reactive_tuned: the headroom a perfect forecast would leave. */
  oracle_violation_reduction_vs_reactive: number;
  host_hours_static_peak: number;
  host_hours_reactive: number;
  host_hours_reactive_tuned: number;
  host_hours_predictive: number;
  host_hours_oracle: number;
  host_hours_hybrid: number;
  /** Hybrid host-hours / reactive_tuned host-hours. */
  hybrid_host_hours_ratio_vs_reactive: number;
  /** Predictive host-hours / reactive_tuned host-hours. */
  host_hours_ratio_vs_reactive: number;
  host_hours_ratio_vs_reactive_default: number;
  host_hours_ratio_vs_static_peak: number;
  max_mean_p99_predictive: number;
  /** Predictive bytes moved / reactive_tuned bytes moved; 1 when neither moved anything. */
  bytes_moved_ratio_vs_reactive: number;
  bytes_moved_ratio_vs_reactive_default: number;
}

/** The summary keys that read one policy's totals (of those a run may leave out). */
export const POLICY_SUMMARY_KEYS: ReadonlyArray<readonly [PolicyName, ReadonlyArray<keyof ComparisonSummary>]> = [
  ["reactive", ["violation_minutes_reactive", "host_hours_reactive", "violation_reduction_vs_reactive_default", "host_hours_ratio_vs_reactive_default", "bytes_moved_ratio_vs_reactive_default"]],
  ["hybrid", ["violation_minutes_hybrid", "host_hours_hybrid", "hybrid_violation_reduction_vs_reactive", "hybrid_host_hours_ratio_vs_reactive"]],
  ["oracle", ["violation_minutes_oracle", "host_hours_oracle", "oracle_violation_reduction_vs_reactive"]],
];

export interface Comparison {
  workload: SimWorkload;
  config: SimConfig;
  layout: InitialLayout;
  runs: PolicyRun[];
  summary: ComparisonSummary;
}

export function runOf(c: Pick<Comparison, "runs">, name: string): PolicyRun {
  const r = c.runs.find((x) => x.policy === name);
  if (!r) throw new Error(`no run of policy ${name}`);
  return r;
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : a > 0 ? Infinity : 1);
const reduction = (a: number, b: number) => (b > 0 ? 1 - a / b : 0);

/** The summary from per-policy totals (one comparison's metrics, or sums over many). */
export function summarizeTotals(t: (policy: PolicyName, key: "violationMinutes" | "hostHours" | "bytesMoved") => number, maxMeanP99: number): ComparisonSummary {
  const v = (p: PolicyName) => t(p, "violationMinutes");
  const hh = (p: PolicyName) => t(p, "hostHours");
  const by = (p: PolicyName) => t(p, "bytesMoved");
  return {
    violation_minutes_static: hh("static_peak") > 0 ? v("static_peak") : v("static"),
    violation_minutes_static_peak: v("static_peak"),
    violation_minutes_reactive: v("reactive"),
    violation_minutes_reactive_tuned: v("reactive_tuned"),
    violation_minutes_predictive: v("predictive"),
    violation_minutes_oracle: v("oracle"),
    violation_minutes_hybrid: v("hybrid"),
    hybrid_violation_reduction_vs_reactive: reduction(v("hybrid"), v("reactive_tuned")),
    violation_reduction_vs_reactive: reduction(v("predictive"), v("reactive_tuned")),
    violation_reduction_vs_reactive_default: reduction(v("predictive"), v("reactive")),
    oracle_violation_reduction_vs_reactive: reduction(v("oracle"), v("reactive_tuned")),
    host_hours_static_peak: hh("static_peak"),
    host_hours_reactive: hh("reactive"),
    host_hours_reactive_tuned: hh("reactive_tuned"),
    host_hours_predictive: hh("predictive"),
    host_hours_oracle: hh("oracle"),
    host_hours_hybrid: hh("hybrid"),
    hybrid_host_hours_ratio_vs_reactive: ratio(hh("hybrid"), hh("reactive_tuned")),
    host_hours_ratio_vs_reactive: ratio(hh("predictive"), hh("reactive_tuned")),
    host_hours_ratio_vs_reactive_default: ratio(hh("predictive"), hh("reactive")),
    host_hours_ratio_vs_static_peak: ratio(hh("predictive"), hh("static_peak")),
    max_mean_p99_predictive: maxMeanP99,
    bytes_moved_ratio_vs_reactive: ratio(by("predictive"), by("reactive_tuned")),
    bytes_moved_ratio_vs_reactive_default: ratio(by("predictive"), by("reactive")),
  };
}

export function summarize(metrics: Partial<Record<PolicyName, PolicyMetrics>>): ComparisonSummary {
  return summarizeTotals((p, k) => metrics[p]?.[k] ?? 0, metrics.predictive?.maxMeanP99 ?? 0);
}

export interface CompareOptions {
  policies?: readonly PolicyName[];
  layout?: InitialLayout;
  /** Progress per policy (fraction of its run). */
  onProgress?: (policy: string, fraction: number) => void;
}

/** Runs every policy on the same workload, config and start layout. */
export function compare(workload: SimWorkload, config: SimConfig, opts: CompareOptions = {}): Comparison {
  const layout = opts.layout ?? defaultLayout(workload, config.cluster, config.policy.lifecycle.initialCapacityBytes);
  const runs = (opts.policies ?? DEFAULT_POLICIES).map((name) =>
    simulate({
      workload,
      config,
      layout,
      policy: makePolicy(name, config),
      ...(opts.onProgress ? { onProgress: (f: number) => opts.onProgress!(name, f) } : {}),
    }),
  );
  const metrics: Partial<Record<PolicyName, PolicyMetrics>> = {};
  for (const r of runs) metrics[r.policy as PolicyName] = r.metrics;
  return { workload, config, layout, runs, summary: summarize(metrics) };
}

export interface CompareAsyncOptions extends CompareOptions {
  /** Awaited between slices of ticks (e.g. a macrotask, so a server keeps answering). */
  pause: () => Promise<void>;
  /** Checked between slices; throw from it to abandon the run (a deadline). */
  check?: () => void;
}

/** `compare` in slices: the same result, with `pause` awaited every few dozen ticks. */
export async function compareAsync(workload: SimWorkload, config: SimConfig, opts: CompareAsyncOptions): Promise<Comparison> {
  const layout = opts.layout ?? defaultLayout(workload, config.cluster, config.policy.lifecycle.initialCapacityBytes);
  const runs: PolicyRun[] = [];
  for (const name of opts.policies ?? DEFAULT_POLICIES) {
    const steps = simulation({ workload, config, layout, policy: makePolicy(name, config) });
    for (;;) {
      const next = steps.next();
      if (next.done) {
        runs.push(next.value);
        break;
      }
      opts.onProgress?.(name, next.value);
      opts.check?.();
      await opts.pause();
    }
  }
  const metrics: Partial<Record<PolicyName, PolicyMetrics>> = {};
  for (const r of runs) metrics[r.policy as PolicyName] = r.metrics;
  return { workload, config, layout, runs, summary: summarize(metrics) };
}
