import { z } from "zod";
import { loadForecastSchema, MAX_ANALYZER_HORIZON_SEC, storableString, streamNameSchema } from "@shardcast/core";
import { streamLoadForecastByName } from "@shardcast/db";
import { viewerProcedure } from "../../trpc.ts";
import { idString } from "../shared.ts";

/** Keys are only hashed here: the bound keeps a request small, whatever key limit the edges are set to. */
const MAX_KEY_CHARS = 4096;

export const forecastInput = z
  .object({
    stream: streamNameSchema,
    /** One routed shardlet's forecast... */
    shardletId: idString().optional(),
    /** ...or the shardlet whose hash range holds this routing key; neither: the whole stream. */
    key: storableString.min(1, "enter a key").max(MAX_KEY_CHARS, `a key has at most ${MAX_KEY_CHARS} characters`).optional(),
    /** Seconds ahead, at most what the latest analyzer run forecast (default: all of it). */
    horizonSec: z.number().int().min(1, "horizon must be at least 1 s").max(MAX_ANALYZER_HORIZON_SEC, "horizon must be at most 7 days").optional(),
  })
  .refine((q) => q.shardletId === undefined || q.key === undefined, { error: "give a shardlet or a key, not both", path: ["key"] });

/** The predicted write rate of a stream, a shardlet or a key's shardlet, as the edge's forecast route answers it. */
export const forecast = viewerProcedure
  .input(forecastInput)
  .output(loadForecastSchema)
  .query(({ ctx, input }) => streamLoadForecastByName(ctx.db, { ...input, nowMs: Date.now() }));
