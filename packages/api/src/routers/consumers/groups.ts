import { z } from "zod";
import { streamNameSchema } from "@shardcast/core";
import { listConsumerGroupSummaries } from "@shardcast/db";
import { viewerProcedure } from "../../trpc.ts";
import { streamFor } from "../../services/consumer-views.ts";
import { groupSummarySchema } from "./schemas.ts";

export const groupsInput = z.object({ stream: streamNameSchema });
export const groupsOutput = z.object({ groups: z.array(groupSummarySchema) });

/** A stream's consumer groups with their size, lag and checkpoint activity. */
export const groups = viewerProcedure
  .input(groupsInput)
  .output(groupsOutput)
  .query(async ({ ctx, input }) => {
    const stream = await streamFor(ctx.db, input.stream);
    const rows = await listConsumerGroupSummaries(ctx.db, stream.id);
    return { groups: rows.map((g) => ({ ...g, lastCheckpointAt: g.lastCheckpointAt === null ? null : new Date(g.lastCheckpointAt) })) };
  });
