import type { CapacityEstimateOptions, RoutePatch } from "@shardcast/core";
import type { ControlDb, HostPool, LifecycleJobInfo, LifecycleStep } from "@shardcast/db";
import type { Logger } from "@shardcast/runtime/logger";
import type { OpLocks } from "@shardcast/runtime/oplock";
import type { ProvisionConfig } from "./analyzer/provision.ts";
import type { MigrationOptions } from "./migration/options.ts";
import type { TrainingConfig } from "./training/options.ts";

/** Everything a processor touches, injected so tests can run processors directly. */
export interface WorkerDeps {
  db: ControlDb;
  hosts: HostPool;
  log: Logger;
  /** Epoch ms; rates and timestamps come from here, never from Date.now() directly. */
  clock: () => number;
  /** Per-shardlet op-locks, for the jobs that change a shardlet. */
  opLocks?: OpLocks;
  /** How long a host may take to answer a health probe (default 2 s). */
  pingTimeoutMs?: number;
  /**
   * Tells edges that a stream's routes changed (pub/sub). Without it they still find out, through
   * fence rejections and their periodic refresh, only later. With a patch (the change's routes as
   * the control database stores them) edges install it without reading the stream's routes again.
   */
  announce?: (streamId: string, patch?: RoutePatch) => Promise<void>;
  lifecycle?: LifecycleTuning;
  /** The migration mover's hooks, read watermark and retry tuning. */
  migration?: MigrationOptions;
  /** Metric samples older than this are deleted by housekeeping (default 24 h). */
  metricsRetentionMs?: number;
  /** How an approved add-host proposal gets its host (default: off, the operator adds it by hand). */
  provision?: ProvisionConfig;
  /** How `host.resources` learns each host's capacity (default core's DEFAULT_CAPACITY_ESTIMATE_OPTIONS). */
  capacityEstimate?: Partial<Omit<CapacityEstimateOptions, "nowMs">>;
  /** How `model.train` reads its corpus and trains (defaults follow the analyzer's settings). */
  training?: TrainingConfig;
}

/**
 * Test hooks of the lifecycle state machine: a hook that throws stops the job there, as a crash
 * would. `lockSignal` aborts when the job loses an op-lock (absent for `planned`, which runs
 * before the locks are taken).
 */
export interface LifecycleHooks {
  /** Right after `phase` was persisted, before its step runs. */
  afterPhase?: (phase: LifecycleStep, job: LifecycleJobInfo, lockSignal?: AbortSignal) => void | Promise<void>;
  /** Right after the step of `phase` ran, before the next phase is persisted. */
  afterStep?: (phase: LifecycleStep, job: LifecycleJobInfo, lockSignal?: AbortSignal) => void | Promise<void>;
}

export interface LifecycleTuning {
  /** Overflow rows drained per chunk (default 1,000). */
  drainChunkRows?: number;
  /** An unfinished job idle this long with its sources unlocked is resumed by the manager (default 15 s). */
  staleJobMs?: number;
  /** Drained overflow rows are kept this long for readers merging across logs (default 60 s). */
  overflowGraceMs?: number;
  /** Most splits and merges one manager scan enqueues (default 64). */
  maxActionsPerScan?: number;
  /**
   * How long edges may hold a hand-off's writes back for its switch, instead of sending them to the
   * overflow log (default 250 ms; 0: to the overflow log at once). See lifecycle/machine.ts.
   */
  handoffHoldMs?: number;
  /** The same for a split's or merge's writes (default 250 ms; 0: to the overflow log at once). */
  splitHoldMs?: number;
  hooks?: LifecycleHooks;
}
