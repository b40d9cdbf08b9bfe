import {
  parseAnalyzerSettings,
  parseLifecycleSettings,
  parseRebalanceSettings,
  type AnalyzerSettings,
  type LifecycleSettings,
  type RebalanceSettings,
} from "@shardcast/core";

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** The simulated hardware and the costs of changing placement. */
export interface ClusterConfig {
  hosts: number;
  /** Write capacity of each host, events/s. */
  hostCapacityEventsPerSec: number;
  /** Storage capacity of each host, bytes. */
  hostCapacityBytes: number;
  /** Shards per stream (fixed ranges; merges stay inside one) and initial shardlets per shard. */
  shardsPerStream: number;
  shardletsPerShard: number;
  /** Stored bytes per event. */
  eventBytes: number;
  /** Hours of events a shardlet keeps (its size is the writes of this window). */
  retentionHours: number;
  /**
   * Sizes at the start: `steady` as if the first retention window had already been running (a
   * cluster in steady state), `layout` from the layout's sizes (a real cluster), growing by writes
   * and shrinking only once events written during the run expire.
   */
  startSizes: "steady" | "layout";
  /** Copy speed of one migration, bytes/s. */
  migrationBytesPerSec: number;
  /** Fixed cost of a migration (setup, verification, switch), seconds. */
  migrationSetupSec: number;
  /** Migrations a host takes part in at once (as source or destination); more wait. */
  maxMigrationsPerHost: number;
  /** Duration of a split or merge; writes to the shardlet go to the overflow log meanwhile. */
  splitSec: number;
  /** Writes fenced while a migration switches owners (they take the overflow log). */
  switchSec: number;
  /** Capacity a running copy takes on its source and its destination, as a fraction. */
  copyOverhead: number;
  /** Step of the virtual clock (and of the reactive scans), minutes. */
  tickMinutes: number;
  /** Modelled queueing latency is capped here (an overloaded M/M/1 queue has no steady state). */
  latencyCapMs: number;
}

/** Parameters of the policies. The same lifecycle and rebalance settings apply to every policy that acts. */
export interface PolicyConfig {
  lifecycle: LifecycleSettings;
  rebalance: RebalanceSettings;
  analyzer: AnalyzerSettings;
  /** Forecaster of the predictive policy. */
  forecaster: "seasonal_naive" | "holt_winters";
  /** Forecast horizon, in workload buckets. */
  horizonSteps: number;
  /** History each forecast sees, in workload buckets. */
  historySteps: number;
  /** Run the analyzer every this many ticks; 0: once per workload bucket (when a bucket completes and the forecasts change). */
  analyzeEveryTicks: number;
  /**
   * Which of the analyzer's moves the predictive policy starts: `overload` only those off hosts
   * forecast to pass the overload fraction of their capacity, `all` every feasible one, `none`
   * (forecast-driven splits only).
   */
  analyzerMoves: "overload" | "all" | "none";
  /**
   * Buckets of forecast the predictive policy's rebalancer looks ahead: it balances each
   * shardlet's larger of current and forecast load over this many buckets (0: current load, as
   * the reactive policy does).
   */
  rebalanceLeadSteps: number;
  /**
   * The oracle's own values of the two knobs above: how far a forecast is worth trusting depends
   * on the forecast, and the oracle's is the truth.
   */
  oracle: { analyzerMoves: PolicyConfig["analyzerMoves"]; rebalanceLeadSteps: number; analyzerSplits: boolean };
}

export interface SimConfig {
  seed: number;
  cluster: ClusterConfig;
  policy: PolicyConfig;
  /** Buckets at the start that are simulated but not measured (forecast history, initial splits). */
  warmupBuckets: number;
  /** Busiest total load of the workload as a fraction of the cluster's write capacity. */
  peakUtilisation: number;
}

export const DEFAULT_CLUSTER: ClusterConfig = {
  hosts: 8,
  hostCapacityEventsPerSec: 10_000,
  hostCapacityBytes: 2048 * GIB,
  shardsPerStream: 8,
  shardletsPerShard: 4,
  eventBytes: 256,
  retentionHours: 24,
  startSizes: "steady",
  // Copies are throttled so they stay a small share of a host: chunked bulk copies cost a
  // fraction of per-event ingest, and 4 MiB/s (16k rows/s of 256 B) is budgeted at 5% of a host
  // on each end.
  migrationBytesPerSec: 4 * MIB,
  migrationSetupSec: 30,
  maxMigrationsPerHost: 2,
  splitSec: 5,
  switchSec: 1,
  copyOverhead: 0.05,
  tickMinutes: 5,
  latencyCapMs: 1000,
};

/**
 * Policy settings for the default cluster. Thresholds in events/s are relative to a host's
 * capacity (a shardlet splits at 15% of a host, so hot ranges become movable pieces); the
 * rebalancer's benefit-per-MB floor is scaled to the stored bytes of an event-second at this
 * retention; the analyzer runs once per bucket (when its forecasts change).
 * Everything else is the product defaults.
 */
export function defaultPolicy(cluster: ClusterConfig, bucketMs: number, period: number): PolicyConfig {
  const cap = cluster.hostCapacityEventsPerSec;
  const bytesPerEventSec = cluster.eventBytes * cluster.retentionHours * 3600;
  const horizonSteps = Math.max(1, Math.round((6 * 3_600_000) / bucketMs));
  const historySteps = Math.max(4, 3 * period);
  const bucketSec = Math.max(1, Math.round(bucketMs / 1000));
  return {
    lifecycle: parseLifecycleSettings({
      initialCapacityBytes: GIB,
      splitWriteRate: 0.15 * cap,
    }),
    rebalance: parseRebalanceSettings({
      // A move pays when it takes off at least half the load it carries per MB (with 256-byte
      // events kept a day, one event/s is about 21 MiB stored).
      minBenefitPerMB: Number(((0.5 * MIB) / bytesPerEventSec).toPrecision(3)),
      bandwidthBytesPerSec: Math.round(cluster.migrationBytesPerSec * cluster.maxMigrationsPerHost),
      // Tuned for the reactive policy (the fewest violation minutes on the tuning runs; 0.1 and the
      // product default 0.2 let hosts pass capacity before they trigger at 80% peak load).
      tolerance: 0.05,
      hysteresis: 0.025,
      // The worker scans every few seconds; the simulator every tick, so a run may propose as many
      // moves as the analyzer's (the product default of 4 assumes a scan every few seconds).
      maxProposalsPerRun: 20,
      autoApprove: true,
    }),
    analyzer: parseAnalyzerSettings({
      bucketSec,
      horizonSec: horizonSteps * bucketSec,
      period,
      historySteps,
      copyBytesPerSec: cluster.migrationBytesPerSec,
      minMoveBenefit: 0.01 * cap,
    }),
    forecaster: "holt_winters",
    horizonSteps,
    historySteps,
    analyzeEveryTicks: 0,
    // Tuned on separate runs (seed 101): the analyzer's moves cost more than they saved (their
    // copies load both ends, and on a drifting hot set the forecasts sent them the wrong way),
    // and Holt-Winters forecasts fed to the rebalancer made it chase noise; its splits ahead of
    // forecast and announced load paid. With the true future, looking ahead pays and splitting
    // ahead does not (more pieces, more copies).
    analyzerMoves: "none",
    rebalanceLeadSteps: 0,
    oracle: { analyzerMoves: "none", rebalanceLeadSteps: 4, analyzerSplits: false },
  };
}

export function defaultConfig(bucketMs: number, period: number, overrides: { seed?: number; cluster?: Partial<ClusterConfig> } = {}): SimConfig {
  const cluster = { ...DEFAULT_CLUSTER, ...overrides.cluster };
  return {
    seed: overrides.seed ?? 1,
    cluster,
    policy: defaultPolicy(cluster, bucketMs, period),
    warmupBuckets: 3 * period,
    peakUtilisation: 0.8,
  };
}
