import { z } from "zod";
import { listStreams } from "@shardcast/db";
import { viewerProcedure } from "../../trpc.ts";

export const streamSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  keyField: z.string(),
  retentionHours: z.number(),
  retentionBytes: z.number().nullable(),
  shardCount: z.number(),
  shardletCount: z.number(),
  eventCount: z.number(),
  sizeBytes: z.number(),
  writeRate: z.number(),
  createdAt: z.date(),
});
export const listStreamsOutput = z.object({ streams: z.array(streamSummarySchema) });

export const list = viewerProcedure.output(listStreamsOutput).query(async ({ ctx }) => ({
  streams: (await listStreams(ctx.db)).map((s) => ({
    id: s.id,
    name: s.name,
    keyField: s.keyField,
    retentionHours: s.retentionHours,
    retentionBytes: s.retentionBytes,
    shardCount: s.shardCount,
    shardletCount: s.shardletCount,
    eventCount: s.eventCount,
    sizeBytes: s.sizeBytes,
    writeRate: s.writeRate,
    createdAt: s.createdAt,
  })),
}));
