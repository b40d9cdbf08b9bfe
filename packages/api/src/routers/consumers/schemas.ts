import { z } from "zod";
import { rangeSchema } from "../shared.ts";

export const groupSummarySchema = z.object({
  group: z.string(),
  stream: z.string(),
  members: z.number(),
  shardlets: z.number(),
  lagEvents: z.number().nullable(),
  maxLagSeconds: z.number().nullable(),
  lastCheckpointAt: z.date().nullable(),
  checkpointsLastHour: z.number(),
  /** Events that expired before the group read them (docs/retention.md). */
  expiredUnreadEvents: z.number(),
});

/** A member's latest telemetry as the Consumers page shows it. */
export const memberTelemetryViewSchema = z.object({
  /** CPU share of the member's process (1 = one core busy). */
  cpu: z.number(),
  rssBytes: z.number(),
  heapUsedBytes: z.number(),
  /** Event-loop delay, p99, ms. */
  loopLagMs: z.number(),
  /** Events per second of handler time over the recent sample (null: no handler time yet). */
  eventsPerSec: z.number().nullable(),
  /** Events the sample covers: a small one is too young to weigh the member by. */
  sampleEvents: z.number(),
  at: z.date(),
});

/** A shardlet as operators know it, by its key-hash range; null once the control database pruned it. */
export const shardletRefSchema = z.object({ id: z.string(), range: rangeSchema.nullable() });
export type ShardletRef = z.infer<typeof shardletRefSchema>;
