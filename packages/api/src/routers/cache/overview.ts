import { z } from "zod";
import { streamNameSchema } from "@shardcast/core";
import { viewerProcedure } from "../../trpc.ts";
import { cacheOverview } from "../../services/cache-views.ts";
import { overviewOutput } from "./schemas.ts";

export const overviewInput = z.object({ stream: streamNameSchema.optional() }).default({});

/** Each edge's shard cache (latest snapshot and hit ratio over time) and the busiest cached shardlets. */
export const overview = viewerProcedure
  .input(overviewInput)
  .output(overviewOutput)
  .query(({ ctx, input }) => cacheOverview(ctx.db, ctx.redis, ctx.redisPrefix, { nowMs: Date.now(), ...(input.stream ? { stream: input.stream } : {}) }));
