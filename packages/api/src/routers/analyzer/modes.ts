import { z } from "zod";
import { PREDICTIVE_MODES } from "@shardcast/core";
import { listStreamPredictiveModes } from "@shardcast/db";
import { viewerProcedure } from "../../trpc.ts";

export const modesOutput = z.object({
  streams: z.array(z.object({ id: z.string(), name: z.string(), mode: z.enum(PREDICTIVE_MODES) })),
});

/** Every stream's predictive mode: forecast_only (propose) or act. */
export const modes = viewerProcedure.output(modesOutput).query(async ({ ctx }) => ({
  streams: (await listStreamPredictiveModes(ctx.db)).map((s) => ({ id: s.id, name: s.name, mode: s.mode })),
}));
