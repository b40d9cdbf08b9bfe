import { z } from "zod";

export const groupSummarySchema = z.object({
  group: z.string(),
  stream: z.string(),
  members: z.number(),
  shardlets: z.number(),
  lagEvents: z.number().nullable(),
  maxLagSeconds: z.number().nullable(),
  lastCheckpointAt: z.date().nullable(),
  checkpointsLastHour: z.number(),
});
