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

/** A shardlet as operators know it, by its key-hash range; null once the control database pruned it. */
export const shardletRefSchema = z.object({ id: z.string(), range: rangeSchema.nullable() });
export type ShardletRef = z.infer<typeof shardletRefSchema>;
