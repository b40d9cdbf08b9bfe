import { z } from "zod";
import { SHARDLET_STATES } from "@shardcast/core";
import { viewerProcedure } from "../../trpc.ts";
import { shardletForecast } from "../../services/heatmap.ts";
import { proposalSchema, runSummarySchema } from "../analyzer/proposal-schema.ts";
import { idString, rangeSchema } from "../shared.ts";
import { rateMetricSchema } from "./metric.ts";

export const shardletInput = z.object({
  shardletId: idString("choose a shardlet"),
  pastSteps: z.number().int().min(1).max(720).default(60),
  metric: rateMetricSchema.default("writes"),
});

export const shardletOutput = z.object({
  metric: rateMetricSchema,
  shardlet: z.object({
    id: z.string(),
    streamId: z.string(),
    streamName: z.string(),
    hostId: z.string(),
    hostName: z.string(),
    range: rangeSchema,
    state: z.enum(SHARDLET_STATES),
    epoch: z.number(),
    writeRate: z.number(),
    sizeBytes: z.number(),
    capacityBytes: z.number(),
  }),
  bucketSec: z.number(),
  boundaryMs: z.number(),
  threshold: z.number(),
  splitWriteRate: z.number(),
  run: runSummarySchema.nullable(),
  ranking: z.object({ predictedPeak: z.number(), overloadInSec: z.number().nullable(), score: z.number() }).nullable(),
  /** Per step: what happened, what the latest run forecasts, and what earlier runs forecast for it. */
  points: z.array(z.object({ t: z.number(), actual: z.number().nullable(), forecast: z.number().nullable(), pastForecast: z.number().nullable() })),
  proposals: z.array(proposalSchema),
});

/** One shardlet's forecast against its actual load, and the analyzer's proposals for it. */
export const shardlet = viewerProcedure
  .input(shardletInput)
  .output(shardletOutput)
  .query(({ ctx, input }) => shardletForecast(ctx.db, { shardletId: input.shardletId, pastSteps: input.pastSteps, metric: input.metric, nowMs: Date.now() }));
