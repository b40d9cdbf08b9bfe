import {
  type CapacitySettings,
  parseAnalyzerSettings,
  parseLifecycleSettings,
  parseRebalanceSettings,
  type AnalyzerSettings,
  type LifecycleSettings,
  type RebalanceSettings,
} from "@shardcast/core";
import { defaultCapacity, defaultConfig, type ClusterConfig, type PolicyConfig, type SimConfig } from "./config.ts";
import { HOUR_MS } from "./workload/generators.ts";
import { buildWorkload, type WorkloadName } from "./workload/catalog.ts";
import type { TraceReader } from "./workload/traces.ts";
import type { SimWorkload } from "./workload/types.ts";

export interface PolicyOverrides {
  forecaster?: PolicyConfig["forecaster"];
  horizonSteps?: number;
  historySteps?: number;
  analyzeEveryTicks?: number;
  analyzerMoves?: PolicyConfig["analyzerMoves"];
  rebalanceLeadSteps?: number;
  hostOutlook?: PolicyConfig["hostOutlook"];
  oracle?: Partial<PolicyConfig["oracle"]>;
  lifecycle?: Partial<LifecycleSettings>;
  rebalance?: Partial<RebalanceSettings>;
  analyzer?: Partial<AnalyzerSettings>;
}

export interface ScenarioOptions {
  workload: WorkloadName;
  seed: number;
  /** Simulated days, warm-up included. */
  days: number;
  /** Days of warm-up (simulated, not measured; default 15: the weekly forecasts need two weeks of history). */
  warmupDays?: number;
  cluster?: Partial<ClusterConfig>;
  peakUtilisation?: number;
  policy?: PolicyOverrides;
  /** Capacity planner settings (min and max hosts, target and scale-in utilisation, provisioning time, margin). */
  capacity?: Partial<CapacitySettings>;
  /** Workload parameters (see `workloadParameters`). */
  params?: Record<string, number>;
  readTrace?: TraceReader;
}

/**
 * Applies overrides to a policy config; settings go through the product's own parsers, so a bad
 * threshold is rejected with the message the console would show.
 */
export function withPolicy(base: PolicyConfig, o: PolicyOverrides = {}): PolicyConfig {
  return {
    ...base,
    ...(o.forecaster ? { forecaster: o.forecaster } : {}),
    ...(o.horizonSteps !== undefined ? { horizonSteps: o.horizonSteps } : {}),
    ...(o.historySteps !== undefined ? { historySteps: o.historySteps } : {}),
    ...(o.analyzeEveryTicks !== undefined ? { analyzeEveryTicks: o.analyzeEveryTicks } : {}),
    ...(o.analyzerMoves !== undefined ? { analyzerMoves: o.analyzerMoves } : {}),
    ...(o.rebalanceLeadSteps !== undefined ? { rebalanceLeadSteps: o.rebalanceLeadSteps } : {}),
    ...(o.hostOutlook !== undefined ? { hostOutlook: o.hostOutlook } : {}),
    oracle: { ...base.oracle, ...o.oracle },
    lifecycle: parseLifecycleSettings({ ...base.lifecycle, ...o.lifecycle }),
    rebalance: parseRebalanceSettings({ ...base.rebalance, ...o.rebalance }),
    analyzer: parseAnalyzerSettings({ ...base.analyzer, ...o.analyzer }),
  };
}

/** A workload and the config to run it with: the defaults for an hourly workload, then the overrides. */
export function scenario(o: ScenarioOptions): { workload: SimWorkload; config: SimConfig } {
  const base = defaultConfig(HOUR_MS, 24, { seed: o.seed, ...(o.cluster ? { cluster: o.cluster } : {}) });
  const config: SimConfig = {
    ...base,
    ...(o.peakUtilisation !== undefined ? { peakUtilisation: o.peakUtilisation } : {}),
    ...(o.warmupDays !== undefined ? { warmupBuckets: Math.max(0, Math.round(o.warmupDays * 24)) } : {}),
    policy: withPolicy(base.policy, o.policy),
    ...(o.capacity ? { capacity: defaultCapacity(base.cluster, o.capacity) } : {}),
  };
  // Thresholds given for the run apply to the predictive policy too (over its tuned ones).
  const given = o.capacity ?? {};
  for (const k of ["targetUtilization", "scaleInUtilization"] as const) {
    const v = given[k];
    if (v !== undefined) config.policy = { ...config.policy, predictiveCapacity: { ...config.policy.predictiveCapacity, [k]: v } };
  }
  // So does a tolerance given for the run (over its tuned one).
  if (o.policy?.rebalance?.tolerance !== undefined) config.policy = { ...config.policy, predictiveTolerance: null };
  const cl = config.cluster;
  const workload = buildWorkload({
    name: o.workload,
    seed: o.seed,
    days: o.days,
    warmupBuckets: config.warmupBuckets,
    peakTotal: config.peakUtilisation * cl.hosts * cl.hostCapacityEventsPerSec,
    ...(o.params ? { params: o.params } : {}),
    ...(o.readTrace ? { readTrace: o.readTrace } : {}),
  });
  return { workload, config };
}
