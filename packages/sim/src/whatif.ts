import { ShardcastError, type AnalyzerSettings, type CapacitySettings, type LifecycleSettings, type RebalanceSettings } from "@shardcast/core";
import { DEFAULT_CLUSTER, defaultCapacity, ORACLE_DEFAULTS, type SimConfig } from "./config.ts";
import { defaultLayout, type InitialLayout, type LayoutHost } from "./engine/layout.ts";
import { HOUR_MS } from "./workload/generators.ts";
import { buildWorkload } from "./workload/catalog.ts";
import type { TraceReader } from "./workload/traces.ts";
import type { SimWorkload } from "./workload/types.ts";

/** The settings a what-if runs with: the cluster's current ones, or an operator's draft of them. */
export interface WhatIfSettings {
  lifecycle: LifecycleSettings;
  rebalance: RebalanceSettings;
  analyzer: AnalyzerSettings;
  /**
   * The capacity planner's settings (min and max hosts, target and scale-in utilisation, lead);
   * absent, the product defaults with the lead parts of the simulated hardware.
   */
  capacity?: CapacitySettings;
}

export interface WhatIfData {
  eventBytes: number;
  retentionHours: number;
}

/** Most ticks a what-if may simulate (per policy): keeps a console request to a few seconds. */
export const WHATIF_MAX_TICKS = 1_500;


/** The simulator's look-ahead per host from the product's rebalance settings (seconds to minutes). */
function outlookOf(r: Pick<RebalanceSettings, "outlookWindowSec" | "outlookLeadSec">): { windowMinutes: number; leadMinutes: number } {
  return { windowMinutes: r.outlookWindowSec / 60, leadMinutes: r.outlookLeadSec / 60 };
}

/**
 * The config of a what-if on recorded load: the real hosts and layout, one tick per telemetry
 * bucket, forecasts over the analyzer's own horizon and history (converted to buckets), copies at
 * the analyzer's copy budget, splits as short as the real metadata-only ones.
 */
export function whatIfConfig(workload: SimWorkload, layout: InitialLayout, settings: WhatIfSettings, data: WhatIfData): SimConfig {
  if (layout.hosts.length === 0) throw new ShardcastError("bad_request", "no storage host is registered: nothing to simulate");
  const bucketMs = workload.bucketMs;
  const ticks = workload.buckets;
  if (ticks > WHATIF_MAX_TICKS) throw new ShardcastError("bad_request", `a what-if simulates at most ${WHATIF_MAX_TICKS} buckets, got ${ticks}`);
  const a = settings.analyzer;
  const cap = layout.hosts.reduce((s, h) => s + h.capacityEventsPerSec, 0) / layout.hosts.length;
  const cluster = {
    ...DEFAULT_CLUSTER,
    hosts: layout.hosts.length,
    hostCapacityEventsPerSec: cap,
    eventBytes: Math.max(1, data.eventBytes),
    retentionHours: Math.max(0.01, data.retentionHours),
    startSizes: "layout" as const,
    // As the operator's planners move load: by hand-off or by copy (the rebalance settings).
    moveModel: settings.rebalance.moveMode,
    migrationBytesPerSec: a.copyBytesPerSec,
    splitSec: 1,
    tickMinutes: bucketMs / 60_000,
  };
  return {
    seed: 1,
    cluster,
    capacity: settings.capacity ?? defaultCapacity(cluster),
    policy: whatIfPolicy(settings, {
      horizonSteps: Math.max(1, Math.round((a.horizonSec * 1000) / bucketMs)),
      historySteps: Math.max(4, Math.round((a.historySteps * a.bucketSec * 1000) / bucketMs)),
    }),
    warmupBuckets: Math.min(3 * workload.period, Math.floor(workload.buckets / 3)),
    peakUtilisation: 0,
  };
}

/**
 * The policies as the product runs them with the stored (or drafted) settings: the analyzer's
 * forecaster, splits but no analyzer moves, and the rebalancer's look-ahead per host (which the
 * product's rebalancer plans with); no tuned thresholds, so the operator's settings apply as they are.
 */
function whatIfPolicy(settings: WhatIfSettings, steps: { horizonSteps: number; historySteps: number }): SimConfig["policy"] {
  return {
    lifecycle: settings.lifecycle,
    rebalance: settings.rebalance,
    analyzer: settings.analyzer,
    forecaster: "holt_winters",
    ...steps,
    analyzeEveryTicks: 0,
    analyzerMoves: "none",
    rebalanceLeadSteps: 0,
    hostOutlook: outlookOf(settings.rebalance),
    oracle: { ...ORACLE_DEFAULTS },
    predictiveCapacity: {},
    predictiveTolerance: null,
  };
}

/** Days of the shipped trace a what-if without telemetry runs on. */
export const WHATIF_TRACE_DAYS = 7;

/**
 * When the cluster has no telemetry yet: a week of the dos traces, scaled so its busiest hour
 * takes 80% of the registered hosts' write capacity, laid out fresh on those hosts, with an hour
 * of events kept per shardlet.
 */
export function whatIfTraceScenario(
  hosts: readonly LayoutHost[],
  settings: WhatIfSettings,
  readTrace: TraceReader,
): { workload: SimWorkload; layout: InitialLayout; config: SimConfig } {
  const active = hosts.filter((h) => h.status === "active");
  const use: LayoutHost[] =
    active.length > 0
      ? active.map((h) => ({ ...h }))
      : Array.from({ length: 3 }, (_, i) => ({ id: `h${i}`, capacityEventsPerSec: DEFAULT_CLUSTER.hostCapacityEventsPerSec, capacityBytes: DEFAULT_CLUSTER.hostCapacityBytes, status: "active" as const }));
  const capacity = use.reduce((s, h) => s + h.capacityEventsPerSec, 0);
  const workload = buildWorkload({ name: "dos-traces", seed: 1, days: WHATIF_TRACE_DAYS, warmupBuckets: 72, peakTotal: 0.8 * capacity, readTrace, params: { keysPerStream: 256 } });
  // An hour of 64-byte events per shardlet keeps sizes in the range of the product's shardlet
  // capacities (MiBs), so the stored settings' size and per-MB thresholds mean what they do live.
  // Copies at the analyzer's budget, as on recorded load: the draft's budget is what the run varies.
  const cluster = {
    ...DEFAULT_CLUSTER,
    hosts: use.length,
    hostCapacityEventsPerSec: capacity / use.length,
    tickMinutes: 10,
    eventBytes: 64,
    retentionHours: 1,
    moveModel: settings.rebalance.moveMode,
    migrationBytesPerSec: settings.analyzer.copyBytesPerSec,
  };
  const base = defaultLayout(workload, cluster, settings.lifecycle.initialCapacityBytes);
  // Fresh layout on the real hosts: the default layout's host slots mapped onto them in order.
  const layout: InitialLayout = {
    hosts: use,
    shardlets: base.shardlets.map((s) => ({ ...s, hostId: use[Number(s.hostId.slice(1)) % use.length]!.id })),
  };
  const a = settings.analyzer;
  return {
    workload,
    layout,
    config: {
      seed: 1,
      cluster,
      capacity: settings.capacity ?? defaultCapacity(cluster),
      policy: whatIfPolicy(settings, { horizonSteps: Math.max(1, Math.round((a.horizonSec * 1000) / HOUR_MS)), historySteps: 72 }),
      warmupBuckets: 72,
      peakUtilisation: 0.8,
    },
  };
}
