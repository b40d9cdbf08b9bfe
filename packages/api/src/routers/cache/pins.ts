import { z } from "zod";
import { streamNameSchema } from "@shardcast/core";
import { viewerProcedure } from "../../trpc.ts";
import { pinsView } from "../../services/pin-views.ts";
import { pinsOutput } from "./schemas.ts";

export const pinsInput = z.object({ stream: streamNameSchema.optional() }).default({});

/** The shardlets pinned in the edges' caches (of one stream when asked), with their reward so far and the bytes they hold. */
export const pins = viewerProcedure
  .input(pinsInput)
  .output(pinsOutput)
  .query(({ ctx, input }) => pinsView({ db: ctx.db, redis: ctx.redis, prefix: ctx.redisPrefix, log: ctx.log }, { nowMs: Date.now(), ...(input.stream ? { stream: input.stream } : {}) }));
