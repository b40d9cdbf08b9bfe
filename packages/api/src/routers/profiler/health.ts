import { z } from "zod";
import { storableString } from "@shardcast/core";
import { viewerProcedure } from "../../trpc.ts";
import { healthView } from "../../services/profiler-views.ts";
import { healthOutput } from "./schemas.ts";

export const healthInput = z.object({ stream: storableString.min(1).max(200).optional() }).default({});

/** Health scores (with the component that pulled each down), profiles and the orchestrator's notes. */
export const health = viewerProcedure
  .input(healthInput)
  .output(healthOutput)
  .query(({ ctx, input }) => healthView(ctx.db, { nowMs: Date.now(), ...(input.stream ? { stream: input.stream } : {}) }));
