import { z } from "zod";
import { clientActivity } from "@shardcast/db";
import { viewerProcedure } from "../../trpc.ts";
import { telemetryWindow, telemetryWindowInput, telemetryWindowOutput } from "./window.ts";

export const topClientsInput = telemetryWindowInput;

export const topClientsOutput = telemetryWindowOutput.extend({
  clients: z.array(
    z.object({
      client: z.string(),
      clientGroup: z.string(),
      reads: z.number(),
      /** Distinct shardlets the client read. */
      shardlets: z.number(),
    }),
  ),
});

/** A stream's busiest readers (client and group headers, else the API key's name) over the last minutes. */
export const topClients = viewerProcedure
  .input(topClientsInput)
  .output(topClientsOutput)
  .query(async ({ ctx, input }) => {
    const w = await telemetryWindow(ctx.db, input);
    const clients = await clientActivity(ctx.db, { streamId: w.streamId, resolution: w.resolution, from: w.from, to: w.to, limit: input.limit });
    return { resolution: w.resolution, from: w.from, to: w.to, clients };
  });
