import { z } from "zod";
import { SHARDLET_STATES } from "@shardcast/core";
import { viewerProcedure } from "../../trpc.ts";
import { heatmapCells } from "../../services/heatmap.ts";
import { runSummarySchema } from "../analyzer/proposal-schema.ts";
import { idString, rangeSchema } from "../shared.ts";
import { rateMetricSchema } from "./metric.ts";

export const cellsInput = z
  .object({
    /** Zoom on one stream's shardlets... */
    streamId: idString().optional(),
    /** ...and/or on one host's. */
    hostId: idString().optional(),
    /** Actual columns before the forecast. */
    pastSteps: z.number().int().min(1, "show at least one past step").max(720, "at most 720 past steps").default(30),
    /** Most shardlet rows (the hottest are kept). */
    maxRows: z.number().int().min(1).max(500).default(150),
    /** Which rate the map shows: events written or events read per second. */
    metric: rateMetricSchema.default("writes"),
  })
  .default({ pastSteps: 30, maxRows: 150, metric: "writes" });

export const cellsOutput = z.object({
  metric: rateMetricSchema,
  bucketSec: z.number(),
  /** First forecast column (epoch ms): the "now" line between actual and forecast. */
  boundaryMs: z.number(),
  times: z.array(z.number()),
  kinds: z.array(z.enum(["actual", "forecast"])),
  threshold: z.number(),
  splitWriteRate: z.number(),
  maxValue: z.number(),
  run: runSummarySchema.nullable(),
  rows: z.array(
    z.object({
      shardletId: z.string(),
      streamId: z.string(),
      streamName: z.string(),
      hostId: z.string(),
      hostName: z.string(),
      range: rangeSchema,
      state: z.enum(SHARDLET_STATES),
      /** Writes/s (or reads/s) per column; null where the shardlet did not exist yet or nothing was forecast. */
      values: z.array(z.number().nullable()),
      predictedPeak: z.number().nullable(),
      overloadInSec: z.number().nullable(),
      proposal: z.enum(["split", "migrate"]).nullable(),
      /** Why the last analyzer run did not trust this shardlet's forecast (it planned on the observed rate), or null. */
      untrusted: z.string().nullable(),
    }),
  ),
  totalRows: z.number(),
});

export const cells = viewerProcedure
  .input(cellsInput)
  .output(cellsOutput)
  .query(({ ctx, input }) =>
    heatmapCells(ctx.db, {
      ...(input.streamId ? { streamId: input.streamId } : {}),
      ...(input.hostId ? { hostId: input.hostId } : {}),
      pastSteps: input.pastSteps,
      maxRows: input.maxRows,
      metric: input.metric,
      nowMs: Date.now(),
    }),
  );
