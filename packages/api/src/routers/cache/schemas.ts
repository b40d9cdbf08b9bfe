import { z } from "zod";

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
