import type { SimConfig } from "./config.ts";
import { defaultLayout, type InitialLayout } from "./engine/layout.ts";
import type { PolicyMetrics } from "./engine/metrics.ts";
import { simulate, simulation, type PolicyRun } from "./engine/simulation.ts";
import type { Policy } from "./engine/types.ts";
import { oraclePolicy, predictiveWith } from "./policies/predictive.ts";
import { reactivePolicy } from "./policies/reactive.ts";
import { staticPolicy } from "./policies/static.ts";
import type { SimWorkload } from "./workload/types.ts";

export const POLICY_NAMES = ["static", "reactive", "predictive", "oracle"] as const;
export type PolicyName = (typeof POLICY_NAMES)[number];

export function makePolicy(name: PolicyName, config: SimConfig): Policy {
  switch (name) {
    case "static":
      return staticPolicy();
    case "reactive":
      return reactivePolicy();
    case "predictive":
      return predictiveWith(config.policy.forecaster);
    case "oracle":
      return oraclePolicy();
  }
}

/** The headline figures of one comparison (the bench suite's keys, per workload). */
export interface ComparisonSummary {
  violation_minutes_static: number;
  violation_minutes_reactive: number;
  violation_minutes_predictive: number;
  violation_minutes_oracle: number;
  /** 1 - predictive / reactive; 0 when reactive had none (nothing to reduce). */
  violation_reduction_vs_reactive: number;
  max_mean_p99_predictive: number;
  /** Predictive bytes moved / reactive bytes moved; 1 when neither moved anything. */
  bytes_moved_ratio_vs_reactive: number;
}

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

export function summarize(metrics: Partial<Record<PolicyName, PolicyMetrics>>): ComparisonSummary {
  const m = (p: PolicyName) => metrics[p];
  const v = (p: PolicyName) => m(p)?.violationMinutes ?? 0;
  const reactive = v("reactive");
  const bytesR = m("reactive")?.bytesMoved ?? 0;
  const bytesP = m("predictive")?.bytesMoved ?? 0;
  return {
    violation_minutes_static: v("static"),
    violation_minutes_reactive: reactive,
    violation_minutes_predictive: v("predictive"),
    violation_minutes_oracle: v("oracle"),
    violation_reduction_vs_reactive: reactive > 0 ? 1 - v("predictive") / reactive : 0,
    max_mean_p99_predictive: m("predictive")?.maxMeanP99 ?? 0,
    bytes_moved_ratio_vs_reactive: bytesR > 0 ? bytesP / bytesR : bytesP > 0 ? Infinity : 1,
  };
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
  const runs = (opts.policies ?? POLICY_NAMES).map((name) =>
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
  for (const name of opts.policies ?? POLICY_NAMES) {
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
