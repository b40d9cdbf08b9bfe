/**
 * Worker settings for suites that measure one mechanism: the planners and learners that compute a
 * lot at times of their own would land in one phase or another of a same-run comparison (and the
 * planners would move what the suite measures), so they are off or hourly. A suite adds the
 * schedules of what it measures.
 */
export const QUIET_WORKER_ENV: Readonly<Record<string, string>> = {
  SHARDCAST_ANALYZER_EVERY_MS: "3600000",
  SHARDCAST_REBALANCE_EVERY_MS: "3600000",
  SHARDCAST_ORCHESTRATOR_EVERY_MS: "0",
  SHARDCAST_CORRELATE_EVERY_MS: "0",
  SHARDCAST_PLACEMENT_EVERY_MS: "0",
  SHARDCAST_PREALLOC_EVERY_MS: "0",
  SHARDCAST_PREALLOC_TRAIN_EVERY_MS: "0",
  SHARDCAST_REPLICA_SYNC_EVERY_MS: "0",
  SHARDCAST_TRAIN_EVERY_MS: "0",
};
