import { z } from "zod";
import { streamNameSchema } from "@shardcast/core";
import { viewerProcedure } from "../../trpc.ts";
import { replicasView } from "../../services/replica-views.ts";
import { replicasOutput } from "./schemas.ts";

export const replicasInput = z.object({ stream: streamNameSchema.optional() }).default({});

/** Every read replica (of one stream when asked): where it lives, how far it is verified and what it served. */
export const replicas = viewerProcedure
  .input(replicasInput)
  .output(replicasOutput)
  .query(({ ctx, input }) =>
    replicasView({ db: ctx.db, redis: ctx.redis, prefix: ctx.redisPrefix, log: ctx.log }, { nowMs: Date.now(), ...(input.stream ? { stream: input.stream } : {}) }),
  );
