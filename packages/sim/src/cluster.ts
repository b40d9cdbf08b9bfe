/**
 * The simulated cluster: its hardware, the costs of changing placement and the migration
 * calibration they come from.
 */

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
  /**
   * Shadow writes while a shardlet is copied and verified: each of its events is also written to
   * the destination (this multiple of its write rate lands there) and costs the source this much
   * more (a second statement per batch), as fractions of the shardlet's write rate.
   */
  shadowWriteDest: number;
  shadowWriteSource: number;
  /** Verification after the copy: reads both ends at this multiple of the copy speed, at this capacity share on each end; shadow writes continue. */
  verifySpeedup: number;
  verifyOverhead: number;
  /** Cleanup on the source after the switch: deletes at this multiple of the copy speed, at this capacity share; it holds a migration slot on the source. */
  cleanupSpeedup: number;
  cleanupOverhead: number;
  /** Seconds from asking for a host until it is registered and takes shardlets (it is paid for from the request). */
  provisionSec: number;
  /** Step of the virtual clock (and of the reactive scans), minutes. */
  tickMinutes: number;
  /** Modelled queueing latency is capped here (an overloaded M/M/1 queue has no steady state). */
  latencyCapMs: number;
}

/**
 * Migration costs calibrated on the product's own `migration` benchmark (bench/src/suites/migration.ts):
 * the busiest of 16 shardlets (about 10.5% of the writes) moves with a copy budget of a tenth of
 * the ingest rate and cleanup at four times the copy budget. `during_vs_baseline_ratio` was
 * 0.78-0.80 on full runs (0.84-0.87 quick): ingest lost about 21% while the migration ran. Shadow
 * writes alone (copy idle) cost 10-15% of ingest, i.e. about 1.2 x the moving shardlet's own 10.5%
 * of the writes: 1.0 for the destination's insert of every event plus 0.2 for the extra statement
 * the source's batches take. The rest, about 9%, is the copy at its budget on both ends: 5% of a
 * host each. Verification reads both ends (checksums) and cleanup deletes in chunks; the benchmark
 * does not separate their cost, so they are modelled as half the copy's share each, at four times
 * the copy budget (the benchmark's cleanup setting).
 */
export const MIGRATION_CALIBRATION = {
  copyOverhead: 0.05,
  shadowWriteDest: 1.0,
  shadowWriteSource: 0.2,
  verifyOverhead: 0.025,
  cleanupOverhead: 0.025,
  /** Verification and cleanup speed as multiples of the copy budget. */
  verifySpeedup: 4,
  cleanupSpeedup: 4,
} as const;

export const DEFAULT_CLUSTER: ClusterConfig = {
  hosts: 8,
  hostCapacityEventsPerSec: 10_000,
  hostCapacityBytes: 2048 * GIB,
  shardsPerStream: 8,
  shardletsPerShard: 4,
  // 64-byte events copied at 1 MiB/s take as long to move as 256-byte events at 4 MiB/s (a host's
  // share, about 110 GB of 256-byte events, takes 3-4 hours to copy in either case), with a quarter
  // as many 1 GiB shardlets to simulate: a month of five-minute ticks for five policies and five
  // seeds then fits in the benchmark's time.
  eventBytes: 64,
  retentionHours: 24,
  startSizes: "steady",
  // Copies are throttled so they stay a small share of a host: chunked bulk copies cost a
  // fraction of per-event ingest, and 1 MiB/s (16k rows/s of 64 B) is budgeted at 5% of a host on
  // each end (see MIGRATION_CALIBRATION).
  migrationBytesPerSec: 1 * MIB,
  migrationSetupSec: 30,
  maxMigrationsPerHost: 2,
  splitSec: 5,
  switchSec: 1,
  copyOverhead: MIGRATION_CALIBRATION.copyOverhead,
  shadowWriteDest: MIGRATION_CALIBRATION.shadowWriteDest,
  shadowWriteSource: MIGRATION_CALIBRATION.shadowWriteSource,
  verifySpeedup: MIGRATION_CALIBRATION.verifySpeedup,
  verifyOverhead: MIGRATION_CALIBRATION.verifyOverhead,
  cleanupSpeedup: MIGRATION_CALIBRATION.cleanupSpeedup,
  cleanupOverhead: MIGRATION_CALIBRATION.cleanupOverhead,
  provisionSec: 300,
  tickMinutes: 5,
  latencyCapMs: 1000,
};
