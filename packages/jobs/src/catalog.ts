import type { BackoffOptions } from "bullmq";
import { z } from "zod";

/** How one kind of job is validated, retried and bounded in time. */
export interface JobDefinition<S extends z.ZodType = z.ZodType> {
  payload: S;
  /** Total tries, the first included. */
  attempts: number;
  backoff: BackoffOptions;
  /** The processor's signal aborts and the attempt fails after this long. */
  timeoutMs: number;
  description: string;
}

/**
 * Every job the system runs. The console enqueues and the worker processes through this one table,
 * so a payload shape or retry policy cannot differ between the two.
 */
export const jobCatalog = {
  "host.health": {
    payload: z.strictObject({}),
    // Periodic: the next run is the retry, so a failed probe is not repeated at once.
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 30_000,
    description: "Ping every registered host, read its size and connections, mark it active or down.",
  },
  "shardlet.accounting": {
    payload: z.strictObject({}),
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 60_000,
    description: "Fold per-shardlet totals from every host into sizes, event counts and write rates.",
  },
  "shardlet.manager": {
    payload: z.strictObject({ streamId: z.string().optional() }),
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 60_000,
    description:
      "Compare every active shardlet's fullness and write rate with the lifecycle settings, enqueue splits and merges, and resume lifecycle jobs a dead worker left behind.",
  },
  "shardlet.split": {
    payload: z.strictObject({
      shardletId: z.string().min(1),
      /** Why: threshold crossed, operator request, ... (shown in the operations log). */
      reason: z.string().max(500).default("split requested"),
      actor: z.string().max(200).optional(),
      /** Resume this persisted lifecycle job instead of planning a new one. */
      jobId: z.string().optional(),
      /** Where to cut (first hash of the right child), e.g. the profiled median; clamped to the minimum width. Default: the stored load median. */
      splitAt: z.number().int().min(0).max(2 ** 32).optional(),
    }),
    // A failed attempt resumes from the persisted phase.
    attempts: 5,
    backoff: { type: "exponential", delay: 2_000 },
    timeoutMs: 10 * 60_000,
    description: "Split a shardlet into two children on the same host at the load median of its range.",
  },
  "shardlet.merge": {
    payload: z.strictObject({
      leftId: z.string().min(1),
      rightId: z.string().min(1),
      reason: z.string().max(500).default("merge requested"),
      actor: z.string().max(200).optional(),
      jobId: z.string().optional(),
    }),
    attempts: 5,
    backoff: { type: "exponential", delay: 2_000 },
    timeoutMs: 10 * 60_000,
    description: "Merge two adjacent shardlets of one shard on the same host into one.",
  },
  "overflow.drain": {
    payload: z.strictObject({ streamId: z.string().optional() }),
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 5 * 60_000,
    description:
      "Move events that reached a shard's overflow log while their shardlet was locked into the live shardlet that now owns their key, and purge drained rows after a grace period.",
  },
  "migration.run": {
    payload: z.strictObject({ migrationId: z.string().min(1) }),
    // Every phase is persisted and idempotent: a failed attempt resumes where it stopped.
    attempts: 20,
    backoff: { type: "exponential", delay: 2_000 },
    timeoutMs: 60 * 60_000,
    description:
      "Move a shardlet to another host without downtime: shadow writes, throttled chunked copy, verify, switch, cleanup.",
  },
  "migration.scheduler": {
    payload: z.strictObject({}),
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 60_000,
    description:
      "Start approved migrations and scheduled ones whose window opened, resume migrations a dead worker left behind, and finish cancellations.",
  },
  "rebalance.plan": {
    payload: z.strictObject({ streamId: z.string().optional(), actor: z.string().max(200).optional() }),
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 60_000,
    description:
      "Propose moves off hosts whose load exceeds the mean by the tolerance (with reasons, expected load, bytes and feasibility), and record why other moves were not proposed.",
  },
  "telemetry.rollup": {
    payload: z.strictObject({}),
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 60_000,
    description: "Fold the edges' flushed telemetry counters from Redis into PostgreSQL at every resolution, and apply retention.",
  },
  "host.resources": {
    payload: z.strictObject({}),
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 30_000,
    description: "Sample each host's PostgreSQL statistics (size, commits, rows written, blocks read and hit, connections).",
  },
  "model.train": {
    payload: z.strictObject({
      kind: z.enum(["holt_winters", "lstm", "selection", "all"]).default("all"),
      trigger: z.enum(["schedule", "manual"]).default("schedule"),
      actor: z.string().max(200).optional(),
      /** Resume this model version row instead of creating one. */
      versionId: z.string().optional(),
    }),
    attempts: 2,
    backoff: { type: "fixed", delay: 5_000 },
    timeoutMs: 30 * 60_000,
    description: "Train forecasting models on telemetry, score them on a held-out window and promote a version that beats the active one.",
  },
  "analyzer.run": {
    payload: z.strictObject({
      streamId: z.string().optional(),
      /** A scheduled run is skipped while the analyzer is disabled; one an operator asked for is not. */
      trigger: z.enum(["schedule", "manual"]).optional(),
      actor: z.string().max(200).optional(),
    }),
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 5 * 60_000,
    description:
      "Forecast every shardlet's load over the horizon, rank predicted overloads, and propose splits, migrations and added hosts.",
  },
  "orchestrator.run": {
    payload: z.strictObject({
      /** A scheduled run is skipped while the profiler is disabled; one an operator asked for is not. */
      trigger: z.enum(["schedule", "manual"]).optional(),
      actor: z.string().max(200).optional(),
    }),
    // Periodic: the next run is the retry.
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 60_000,
    description:
      "Score every shardlet's and host's health from the data profiler and recent load, and below the health threshold propose a split at the profiled median or a move to a healthier neighbour's host, or note why not (a single hot key, max shards, the migration window).",
  },
  "cache.correlate": {
    payload: z.strictObject({}),
    // Periodic: the next run is the retry (it catches up on the steps it missed).
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 60_000,
    description:
      "Fold the last closed 10 s steps of event-type counts and shardlet reads into each stream's correlation engine and publish the prefetch probability map the edges' prefetchers act on.",
  },
  "placement.run": {
    payload: z.strictObject({
      /** A scheduled run is skipped while placement is turned off; one an operator asked for is not. */
      trigger: z.enum(["schedule", "manual"]).optional(),
    }),
    // Periodic: the next run is the retry (a partly archived shardlet is continued then).
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 5 * 60_000,
    description:
      "Measure the reward of the last archive decisions (bytes saved, nothing when readers came back), restore archives a consumer group or reader needs, and let the placement bandit choose archive or leave for each shardlet with old payloads; then reward, make and drop read replicas of hot shardlets, move a hot shardlet off a host serving far more reads than the rest (a migration, within the rebalancer's write limits), and pin shardlets whose reads miss the edges' caches.",
  },
  "replica.sync": {
    payload: z.strictObject({}),
    // Periodic: the next run is the retry (a replica continues from its verified position).
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 60_000,
    description:
      "Copy to every read replica what its shardlet's host stored since the replica's verified position (never past the watermark or an undrained overflow row), and drop the replicas whose shardlet moved, split or merged.",
  },
  "host.provision": {
    // `approvedAt` names the approval the job serves: a job from an approval that was undone is refused.
    payload: z.strictObject({ proposalId: z.string().min(1), actor: z.string().max(200).optional(), approvedAt: z.iso.datetime().optional() }),
    // Not retried: a provisioning command or webhook may not be idempotent; the operator approves again.
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 10 * 60_000,
    description:
      "Add a storage host for an approved scale-out proposal: run the provisioning command or webhook, or create a host database on the embedded server, and register it.",
  },
  "consumer.checkpoint": {
    payload: z.strictObject({}),
    // Periodic: the next run is the retry.
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 60_000,
    description:
      "For every consumer group and shardlet, make the committed position durable when the predicted replay (or the fixed interval) calls for it, ask stateful members to snapshot, expire silent members and measure lag.",
  },
  "prealloc.run": {
    payload: z.strictObject({ streamId: z.string().optional() }),
    // Periodic: the next run is the retry (an interrupted preparation is finished by the next run).
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 10 * 60_000,
    description:
      "Read the edges' surge predictions, let the cost model decide per shardlet (why and why not are recorded), pre-split the chosen shardlets at the predicted load median through the lifecycle split, count the pre-allocations their surge used and merge back those it did not after the grace period.",
  },
  "prealloc.train": {
    payload: z.strictObject({
      streamId: z.string().optional(),
      trigger: z.enum(["schedule", "manual"]).default("schedule"),
      actor: z.string().max(200).optional(),
    }),
    // A run reads history and replays it; a failed one is simply run again later (or by hand).
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 15 * 60_000,
    description:
      "Train the edges' cold-start content model per stream on the stream's stored history, score it on the held-out last quarter against the type-blind rate model, and install it for edges that have no model of their own when it beats it.",
  },
  "retention.enforce": {
    payload: z.strictObject({}),
    // Periodic: the next run is the retry (a detached partition a failed run left is dropped then).
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 10 * 60_000,
    description:
      "Create every storage host's next time partitions, move each stream's start past its expired events (age, or its size cap), drop the partitions no stream still keeps, and record what was freed (operations, per-stream figures, shardlet sizes).",
  },
  housekeeping: {
    payload: z.strictObject({}),
    attempts: 1,
    backoff: { type: "fixed", delay: 1_000 },
    timeoutMs: 5 * 60_000,
    description: "Delete metric samples past their retention and expired console sessions.",
  },
} as const satisfies Record<string, JobDefinition>;

export type JobCatalog = typeof jobCatalog;
export type JobName = keyof JobCatalog;
export type JobPayload<N extends JobName> = z.infer<JobCatalog[N]["payload"]>;
/** Any job's payload: what travels through the queue. */
export type AnyJobPayload = { [N in JobName]: JobPayload<N> }[JobName];

export const JOB_NAMES = Object.keys(jobCatalog) as JobName[];

export function isJobName(name: string): name is JobName {
  return Object.hasOwn(jobCatalog, name);
}
