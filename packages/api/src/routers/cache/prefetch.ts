import { z } from "zod";
import { streamNameSchema } from "@shardcast/core";
import { viewerProcedure } from "../../trpc.ts";
import { prefetchView } from "../../services/cache-prefetch.ts";
import { prefetchOutput } from "./schemas.ts";

export const prefetchInput = z.object({
  stream: streamNameSchema,
  /** Event types whose map rows are returned, busiest first. */
  types: z.number().int().min(1).max(100).default(12),
});

/** A stream's published prefetch map and the correlations it was learned from. */
export const prefetch = viewerProcedure
  .input(prefetchInput)
  .output(prefetchOutput)
  .query(({ ctx, input }) => prefetchView(ctx.db, ctx.redis, ctx.redisPrefix, { stream: input.stream, types: input.types, nowMs: Date.now() }));
