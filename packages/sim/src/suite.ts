import { compare, type Comparison, type ComparisonSummary } from "./compare.ts";
import { scenario, type ScenarioOptions } from "./scenario.ts";
import type { WorkloadName } from "./workload/catalog.ts";
import type { TraceReader } from "./workload/traces.ts";

/**
 * The comparison the README reports: both shipped real trace sets and every generator, each for
 * a month (or the whole trace when it is shorter) with the default cluster and seed 1.
 */
export const SUITE_WORKLOADS: ReadonlyArray<{ name: WorkloadName; days: number; quickDays: number }> = [
  { name: "dos-traces", days: 21, quickDays: 8 },
  { name: "nab-tweets", days: 31, quickDays: 8 },
  { name: "diurnal", days: 31, quickDays: 8 },
  { name: "zipf-drift", days: 31, quickDays: 8 },
  { name: "flash-crowd", days: 31, quickDays: 8 },
  { name: "ramp", days: 31, quickDays: 8 },
  { name: "flat", days: 10, quickDays: 5 },
];

export const SUITE_SEED = 1;

export interface SuiteRun {
  comparisons: Comparison[];
  /** The headline keys, pooled over the workloads (see `pooledSummary`). */
  headline: ComparisonSummary;
}

/**
 * Pools the workloads: violation minutes and bytes moved are summed per policy before the ratios
 * are taken (so a workload where reactive had nothing to reduce neither helps nor hurts), and the
 * p99 max/mean load is the worst over the workloads.
 */
export function pooledSummary(comparisons: readonly Comparison[]): ComparisonSummary {
  const sum = (f: (s: ComparisonSummary) => number) => comparisons.reduce((acc, c) => acc + f(c.summary), 0);
  const bytes = (policy: string) => comparisons.reduce((acc, c) => acc + (c.runs.find((r) => r.policy === policy)?.metrics.bytesMoved ?? 0), 0);
  const reactive = sum((s) => s.violation_minutes_reactive);
  const predictive = sum((s) => s.violation_minutes_predictive);
  const bytesR = bytes("reactive");
  const bytesP = bytes("predictive");
  return {
    violation_minutes_static: sum((s) => s.violation_minutes_static),
    violation_minutes_reactive: reactive,
    violation_minutes_predictive: predictive,
    violation_minutes_oracle: sum((s) => s.violation_minutes_oracle),
    violation_reduction_vs_reactive: reactive > 0 ? 1 - predictive / reactive : 0,
    max_mean_p99_predictive: Math.max(0, ...comparisons.map((c) => c.summary.max_mean_p99_predictive)),
    bytes_moved_ratio_vs_reactive: bytesR > 0 ? bytesP / bytesR : bytesP > 0 ? Infinity : 1,
  };
}

export interface SuiteOptions {
  quick: boolean;
  readTrace: TraceReader;
  log?: (line: string) => void;
  only?: readonly WorkloadName[];
  /** Cluster, policy and load overrides applied to every workload (the CLI's options). */
  overrides?: Pick<ScenarioOptions, "cluster" | "policy" | "peakUtilisation">;
}

export function runSuite(opts: SuiteOptions): SuiteRun {
  const comparisons: Comparison[] = [];
  for (const w of SUITE_WORKLOADS) {
    if (opts.only && !opts.only.includes(w.name)) continue;
    const started = performance.now();
    const { workload, config } = scenario({ ...opts.overrides, workload: w.name, seed: SUITE_SEED, days: opts.quick ? w.quickDays : w.days, readTrace: opts.readTrace });
    const c = compare(workload, config);
    comparisons.push(c);
    const s = c.summary;
    opts.log?.(
      `${w.name}: violation minutes static ${s.violation_minutes_static.toFixed(0)}, reactive ${s.violation_minutes_reactive.toFixed(0)}, ` +
        `predictive ${s.violation_minutes_predictive.toFixed(0)}, oracle ${s.violation_minutes_oracle.toFixed(0)} ` +
        `(${((performance.now() - started) / 1000).toFixed(1)} s, ${Math.max(...c.runs.map((r) => r.metrics.shardletsMax))} shardlets at most)`,
    );
  }
  return { comparisons, headline: pooledSummary(comparisons) };
}

/** Flat numeric keys: the pooled headline, then `<workload>_<key>` per workload (dashes become underscores). */
export function suiteMetrics(run: SuiteRun): Record<string, number> {
  const out: Record<string, number> = {};
  const finite = (v: number) => (Number.isFinite(v) ? v : -1);
  for (const [k, v] of Object.entries(run.headline) as Array<[string, number]>) out[k] = finite(v);
  for (const c of run.comparisons) {
    const w = c.workload.name.replace(/-/g, "_");
    for (const [k, v] of Object.entries(c.summary) as Array<[string, number]>) out[`${w}_${k}`] = finite(v);
    for (const r of c.runs) {
      out[`${w}_bytes_moved_gb_${r.policy}`] = r.metrics.bytesMoved / 1e9;
      out[`${w}_migrations_${r.policy}`] = r.metrics.migrations;
      out[`${w}_p99_latency_ms_${r.policy}`] = r.metrics.p99LatencyMs;
    }
    out[`${w}_wall_s_max_policy`] = Math.max(...c.runs.map((r) => r.wallMs)) / 1000;
    out[`${w}_shardlets_max`] = Math.max(...c.runs.map((r) => r.metrics.shardletsMax));
  }
  return out;
}
