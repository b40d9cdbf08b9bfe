import { z } from "zod";

export const componentSchema = z.object({ name: z.string(), score: z.number(), detail: z.string() });
export const healthSchema = z.object({ score: z.number(), weakest: z.string().nullable(), components: z.array(componentSchema) });

export const fieldProfileSchema = z.object({
  path: z.string(),
  seen: z.number(),
  missingRate: z.number(),
  nullRate: z.number(),
  complexRate: z.number(),
  numericShare: z.number(),
  mean: z.number().nullable(),
  std: z.number().nullable(),
  min: z.number().nullable(),
  max: z.number().nullable(),
  distinct: z.number(),
  topValues: z.array(z.object({ value: z.string(), share: z.number() })),
  topShare: z.number(),
});

export const profileSchema = z.object({
  sampled: z.number(),
  oversize: z.number(),
  distinctKeys: z.number(),
  topKeys: z.array(z.object({ key: z.string(), share: z.number() })),
  topKeyShare: z.number(),
  keyBins: z.array(z.number()),
  keyMedianPosition: z.number().nullable(),
  sizes: z.object({ p50: z.number(), p90: z.number(), p99: z.number(), mean: z.number(), max: z.number() }).nullable(),
  ackP99Ms: z.number().nullable(),
  readP99Ms: z.number().nullable(),
  fields: z.array(fieldProfileSchema),
});

export const shardletHealthSchema = z.object({
  id: z.string(),
  streamId: z.string(),
  streamName: z.string(),
  lo: z.number(),
  hi: z.number(),
  hostId: z.string(),
  hostName: z.string(),
  state: z.string(),
  writeRate: z.number(),
  predictedPeak: z.number().nullable(),
  health: healthSchema,
  profile: profileSchema.nullable(),
});

export const healthOutput = z.object({
  at: z.date(),
  /** The stream's effective settings (null for a cluster-wide view). */
  settings: z
    .object({ keyFields: z.array(z.string()), sampleRate: z.number(), healthThreshold: z.number(), migrationWindowSec: z.number(), maxShards: z.number(), windowSec: z.number() })
    .nullable(),
  enabled: z.boolean(),
  shardlets: z.array(shardletHealthSchema),
  /** The stream's profile: every shardlet's merged into one (null without samples). */
  streamProfile: profileSchema.nullable(),
  hosts: z.array(z.object({ id: z.string(), name: z.string(), status: z.string(), writeShare: z.number(), health: healthSchema })),
  notes: z.array(z.object({ shardletId: z.string().nullable(), message: z.string(), at: z.date() })),
  /** Sampled events per five-minute profile bucket over the last hours (the profiler's activity). */
  activity: z.array(z.object({ t: z.number(), sampled: z.number() })),
});
export type HealthView = z.infer<typeof healthOutput>;
