import { z } from "zod";
import { streamNameSchema } from "@shardcast/core";
import { procedure } from "../init.ts";

export const ingestInput = z.object({
  stream: streamNameSchema,
  /** Validated event by event by the ingest service, so each rejected event gets its own reason. */
  events: z.array(z.unknown()),
});

export const ingestOutput = z.object({
  accepted: z.number().int(),
  duplicates: z.number().int(),
  events: z.array(z.object({ seq: z.number().int(), shardletId: z.string(), duplicate: z.boolean() })),
});

/** The tRPC twin of `POST /v1/streams/:stream/events`. */
export const ingest = procedure
  .input(ingestInput)
  .output(ingestOutput)
  .mutation(async ({ ctx, input }) => {
    const grant = ctx.auth.permit(ctx.grant, input.stream, "produce");
    const quotas = ctx.quotas;
    return ctx.ingest.ingest(input.stream, { events: input.events }, quotas && ((events, bytes) => quotas.admitProduce(grant, events, bytes)));
  });
