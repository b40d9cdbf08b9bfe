import { z } from "zod";
import { viewerProcedure } from "../../trpc.ts";
import { analyzerNotesView } from "../../services/analyzer-views.ts";
import { idString, rangeSchema } from "../shared.ts";

export const notesInput = z
  .object({
    streamId: idString().optional(),
    limit: z.number().int().min(1).max(500).default(100),
  })
  .default({ limit: 100 });
export const notesOutput = z.object({
  notes: z.array(
    z.object({
      id: z.number(),
      at: z.date(),
      message: z.string(),
      streamId: z.string().nullable(),
      streamName: z.string().nullable(),
      shardletId: z.string().nullable(),
      range: rangeSchema.nullable(),
    }),
  ),
});

/** Why the last full analyzer run did not propose what its forecasts alone suggest (untrusted forecasts, busy or unsplittable shardlets). */
export const notes = viewerProcedure
  .input(notesInput)
  .output(notesOutput)
  .query(async ({ ctx, input }) => ({ notes: await analyzerNotesView(ctx.db, { limit: input.limit, ...(input.streamId ? { streamId: input.streamId } : {}) }) }));
