import { z } from "zod";
import { streamNameSchema } from "@shardcast/core";
import { viewerProcedure } from "../../trpc.ts";
import { placementView } from "../../services/placement-views.ts";
import { placementOutput } from "./schemas.ts";

export const placementInput = z.object({ stream: streamNameSchema.optional() }).default({});

/** The cold archive (what is archived where, and how well it compresses) and the placement bandit's state. */
export const placement = viewerProcedure
  .input(placementInput)
  .output(placementOutput)
  .query(({ ctx, input }) =>
    placementView({ db: ctx.db, hosts: ctx.hosts, redis: ctx.redis, prefix: ctx.redisPrefix, log: ctx.log }, { nowMs: Date.now(), ...(input.stream ? { stream: input.stream } : {}) }),
  );
