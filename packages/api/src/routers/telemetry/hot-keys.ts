import { z } from "zod";
import { hotKeys as readHotKeys } from "@shardcast/db";
import { viewerProcedure } from "../../trpc.ts";
import { telemetryWindow, telemetryWindowInput, telemetryWindowOutput } from "./window.ts";

export const hotKeysInput = telemetryWindowInput;

export const hotKeysOutput = telemetryWindowOutput.extend({
  keys: z.array(
    z.object({
      key: z.string(),
      keyHash: z.number(),
      /** Writes the key certainly had: the heavy-hitter sketch's lower bound. */
      writes: z.number(),
      /** Reads the key certainly had, likewise. */
      reads: z.number(),
      /** Most the key may have had beyond `writes + reads` in the flushes that reported it. */
      error: z.number(),
    }),
  ),
});

/** A stream's busiest keys over the last minutes, from the rolled-up heavy-hitter sketches. */
export const hotKeys = viewerProcedure
  .input(hotKeysInput)
  .output(hotKeysOutput)
  .query(async ({ ctx, input }) => {
    const w = await telemetryWindow(ctx.db, input);
    const keys = await readHotKeys(ctx.db, { streamId: w.streamId, resolution: w.resolution, from: w.from, to: w.to, limit: input.limit });
    return { resolution: w.resolution, from: w.from, to: w.to, keys };
  });
