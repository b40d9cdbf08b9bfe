import { z } from "zod";
import { PREDICTIVE_MODES } from "@shardcast/core";
import { setStreamPredictiveMode } from "@shardcast/db";
import { audit } from "../../audit.ts";
import { operatorProcedure } from "../../trpc.ts";
import { idString } from "../shared.ts";

export const setModeInput = z.object({
  streamId: idString("choose a stream"),
  mode: z.enum(PREDICTIVE_MODES, { error: "mode must be forecast_only or act" }),
});
export const setModeOutput = z.object({ streamId: z.string(), mode: z.enum(PREDICTIVE_MODES), changed: z.boolean() });

/** forecast_only: the analyzer proposes; act: it queues its splits and approves its feasible moves. */
export const setMode = operatorProcedure
  .input(setModeInput)
  .output(setModeOutput)
  .mutation(async ({ ctx, input }) => {
    const r = await setStreamPredictiveMode(ctx.db, input.streamId, input.mode);
    const changed = r.before !== r.after;
    if (changed) {
      await audit(ctx, {
        kind: "analyzer.mode",
        message: `set stream ${r.name} to ${r.after === "act" ? "act on predictions" : "forecast only"} (was ${r.before})`,
        streamId: r.id,
        details: { before: r.before, after: r.after },
      });
    }
    return { streamId: r.id, mode: r.after, changed };
  });
