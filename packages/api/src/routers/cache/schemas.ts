import { z } from "zod";
import { PLACEMENT_ARMS, placementSettingsSchema, SHARDLET_STATES } from "@shardcast/core";

/** A ratio is null while its denominator is zero: "no reads yet" is not a 0 % hit ratio. */
const ratio = z.number().min(0).max(1).nullable();
/** The shardlet's key-hash range [lo, hi), null when the control database no longer knows it. */
const range = z.object({ lo: z.number(), hi: z.number() }).nullable();

export const hitRatioPointSchema = z.object({
  at: z.number(),
  hitRatio: ratio,
  byteHitRatio: ratio,
  /** Bytes prefetched and prefetched bytes evicted unread since the previous snapshot. */
  prefetchedBytes: z.number(),
  wastedBytes: z.number(),
});

export const edgeCacheSchema = z.object({
  edgeId: z.string(),
  at: z.date(),
  ageSec: z.number(),
  /** Reads served through the cache (hits + misses) since the edge started. */
  reads: z.number(),
  hits: z.number(),
  misses: z.number(),
  hitRatio: ratio,
  bytesFromCache: z.number(),
  bytesFromHosts: z.number(),
  byteHitRatio: ratio,
  hostReadsSaved: z.number(),
  entries: z.number(),
  bytes: z.number(),
  maxBytes: z.number(),
  /** Share of the byte budget in use (null when the cache is off). */
  budgetUsed: ratio,
  queued: z.number(),
  /** Announcements waiting for their first read before the rest of their shardlets is fetched. */
  waiting: z.number(),
  prefetches: z.number(),
  prefetchedBytes: z.number(),
  wastedPrefetches: z.number(),
  wastedPrefetchBytes: z.number(),
  /** Share of the prefetched bytes evicted before anyone read them. */
  wastedShare: ratio,
  series: z.array(hitRatioPointSchema),
});

export const cachedShardletSchema = z.object({
  streamId: z.string(),
  /** Null when the stream was deleted since the edge cached it. */
  streamName: z.string().nullable(),
  shardletId: z.string(),
  range,
  /** Null when the range is. Edges keep serving a retired shardlet's cached reads until they learn of its split or merge. */
  state: z.enum(SHARDLET_STATES).nullable(),
  hits: z.number(),
  misses: z.number(),
  hitRatio: ratio,
  bytesFromCache: z.number(),
  bytesFromHosts: z.number(),
  /** Edges that reported the shardlet (their counts are summed). */
  edges: z.number(),
});

export const overviewOutput = z.object({
  at: z.date(),
  stream: z.object({ id: z.string(), name: z.string() }).nullable(),
  edges: z.array(edgeCacheSchema),
  shardlets: z.array(cachedShardletSchema),
});
export type CacheOverview = z.infer<typeof overviewOutput>;

export const prefetchRowSchema = z.object({
  eventType: z.string(),
  shardletId: z.string(),
  range,
  p: z.number(),
  lagSteps: z.number(),
  lagSeconds: z.number(),
  lift: z.number(),
  /** The reader (consumer member or client label) that reads the shardlet most. */
  target: z.string().nullable(),
  aboveThreshold: z.boolean(),
});

/** Smoothed events per second of a type, over the engine's short and long half-lives. */
export const typeRateSchema = z.object({ type: z.string(), short: z.number(), long: z.number() });

/** Pearson correlation of a's count in a step with b's `lagSteps` later, at both time scales. */
export const typeCorrelationSchema = z.object({ a: z.string(), b: z.string(), lagSteps: z.number(), lagSeconds: z.number(), short: z.number(), long: z.number() });

export const prefetchOutput = z.object({
  at: z.date(),
  stream: z.object({ id: z.string(), name: z.string() }),
  prefetchEnabled: z.boolean(),
  /** The published map, null until the correlation job has published one (or while prefetch is off). */
  map: z
    .object({
      at: z.date(),
      ageSec: z.number(),
      threshold: z.number(),
      stepMs: z.number(),
      /** Event types and entries in the whole map; `rows` holds the top types only. */
      types: z.number(),
      entries: z.number(),
    })
    .nullable(),
  rows: z.array(prefetchRowSchema),
  rates: z.array(typeRateSchema),
  correlations: z.array(typeCorrelationSchema),
  /** Why rates and correlations are empty, when they are. */
  note: z.string().nullable(),
});
export type PrefetchView = z.infer<typeof prefetchOutput>;

/** One arm of the placement bandit in one context, as it stood after the last run. */
export const placementArmSchema = z.object({
  arm: z.enum(PLACEMENT_ARMS),
  pulls: z.number(),
  mean: z.number(),
  /** Null until the arm was tried. */
  ucb: z.number().nullable(),
  /** Whether the placement job acts on the arm; the others are learnt by nothing yet. */
  available: z.boolean(),
});

export const placementDecisionSchema = z.object({
  at: z.date(),
  streamId: z.string(),
  streamName: z.string().nullable(),
  shardletId: z.string(),
  range,
  arm: z.string(),
  context: z.string(),
  reason: z.string(),
  reward: z.number().nullable(),
  /**
   * `measured`: the reward is in; `pending`: an archive waiting for the next run to measure it;
   * `unmeasured`: an archive that will not get one (nothing was archived, or the shardlet is gone);
   * `none`: leave, restore and replicate are not measured here (leave earns the configured bar at
   * once; a replica is rewarded run by run by the events it serves, in the arm values). A cache-pin
   * decision is `pending` until its shardlet is read while pinned, then shows its reward so far
   * (updated each run while pinned); an unpin carries the reward that ended it.
   */
  rewardState: z.enum(["measured", "pending", "unmeasured", "none"]),
});

export const archivedShardletSchema = z.object({
  streamId: z.string(),
  streamName: z.string(),
  shardletId: z.string(),
  range: z.object({ lo: z.number(), hi: z.number() }),
  hostId: z.string(),
  hostName: z.string(),
  events: z.number(),
  /** Payload bytes of the archived rows, before compression. */
  bytes: z.number(),
  /** Highest archived position (null: nothing archived). */
  maxSeq: z.number().nullable(),
});

export const archiveTotalsSchema = z.object({
  streamId: z.string(),
  streamName: z.string(),
  batches: z.number(),
  rawBytes: z.number(),
  storedBytes: z.number(),
  /** False when a host holding the stream did not answer: the sums miss its batches. */
  complete: z.boolean(),
});

export const placementOutput = z.object({
  at: z.date(),
  stream: z.object({ id: z.string(), name: z.string() }).nullable(),
  settings: placementSettingsSchema,
  /** The placement job's last run, null before its first (or after its state was lost). */
  lastRunAt: z.date().nullable(),
  /** Why the bandit's half is empty when Redis could not give the job's state. */
  stateError: z.string().nullable(),
  /** Archive decisions whose reward the next run measures. */
  pending: z.number(),
  contexts: z.array(z.object({ context: z.string(), arms: z.array(placementArmSchema) })),
  decisions: z.array(placementDecisionSchema),
  /** Largest archives first; `archivedShardlets` counts all of them. */
  archived: z.array(archivedShardletSchema),
  archivedShardlets: z.number(),
  /** Archived rows over all of them (the shown ones may be fewer). */
  archivedEvents: z.number(),
  totals: z.array(archiveTotalsSchema),
  unreachable: z.array(z.object({ hostId: z.string(), hostName: z.string(), message: z.string() })),
});
export type PlacementView = z.infer<typeof placementOutput>;

/** A read replica: a copy of a shardlet's key-hash range on another host, read by consumers' range reads. */
export const replicaViewSchema = z.object({
  id: z.string(),
  streamId: z.string(),
  streamName: z.string(),
  shardletId: z.string(),
  /** The range the replica copies (the shardlet's when it was made; a split or merge drops it). */
  range: z.object({ lo: z.number(), hi: z.number() }),
  hostId: z.string(),
  hostName: z.string(),
  /** The host that holds the shardlet, which the replica copies from. */
  sourceHostId: z.string(),
  sourceHostName: z.string(),
  epoch: z.number(),
  /** ready: synced and routed to readers; dropping: no longer routed, its rows being deleted. */
  state: z.enum(["ready", "dropping"]),
  /** Readers are sent to the replica only for positions up to this one (0: nothing copied yet). */
  verifiedSeq: z.number(),
  events: z.number(),
  bytes: z.number(),
  /** Events the replica served, all edges together; null when Redis could not say. */
  served: z.number().nullable(),
  /** Why it was made, or why it is being dropped. */
  reason: z.string(),
  createdAt: z.date(),
  ageSec: z.number(),
  /** The last sync that moved it (or its creation). */
  updatedAt: z.date(),
});

export const replicasOutput = z.object({
  at: z.date(),
  stream: z.object({ id: z.string(), name: z.string() }).nullable(),
  /** Registered storage hosts: a replica needs a host other than its shardlet's. */
  hosts: z.number(),
  replicas: z.array(replicaViewSchema),
  /** Why `served` is null on every row, when Redis did not answer. */
  servedError: z.string().nullable(),
});
export type ReplicasView = z.infer<typeof replicasOutput>;

/** A shardlet the placement job pinned in the edges' shard caches. */
export const pinViewSchema = z.object({
  streamId: z.string(),
  streamName: z.string(),
  shardletId: z.string(),
  /** Null when the shardlet is gone (the next run unpins it). */
  range: z.object({ lo: z.number(), hi: z.number() }).nullable(),
  since: z.date(),
  /** Placement runs since it was pinned. */
  runs: z.number(),
  context: z.string(),
  /**
   * Share of its reads that were evicted misses (inside what an evicted entry held: a longer-kept
   * entry would have served them) in the window that pinned it.
   */
  missRatioBefore: z.number(),
  /** Part reads on every edge since it was pinned, and the share of them that were evicted misses (null: none yet). */
  reads: z.number(),
  missRatioSince: z.number().nullable(),
  /** Its reward so far (null until it is read while pinned). */
  reward: z.number().nullable(),
  /** Bytes its entries hold, all edges together, and on how many edges they are shielded from eviction now. */
  bytes: z.number(),
  edges: z.number(),
  shieldedOn: z.number(),
});

export const pinsOutput = z.object({
  at: z.date(),
  stream: z.object({ id: z.string(), name: z.string() }).nullable(),
  pinBudgetShare: z.number(),
  maxPins: z.number(),
  pins: z.array(pinViewSchema),
  /** Why the list is empty when Redis could not give the job's state. */
  stateError: z.string().nullable(),
});
export type PinsView = z.infer<typeof pinsOutput>;
