import { z } from "zod";
import { listMigrationViews } from "../../services/migrations.ts";
import { viewerProcedure } from "../../trpc.ts";
import { migrationSchema } from "./schemas.ts";
import { idString } from "../shared.ts";

export const listMigrationsInput = z.object({
  /** proposed: waiting for a decision; queued: approved or scheduled; running; open: all of those; history: ended. */
  view: z.enum(["proposed", "queued", "running", "open", "history"]),
  limit: z.number().int().min(1).max(200).default(50),
  offset: z.number().int().min(0).default(0),
  streamId: idString().optional(),
});
export const listMigrationsOutput = z.object({ items: z.array(migrationSchema), total: z.number() });

export const list = viewerProcedure
  .input(listMigrationsInput)
  .output(listMigrationsOutput)
  .query(({ ctx, input }) =>
    listMigrationViews(ctx.db, { view: input.view, limit: input.limit, offset: input.offset, ...(input.streamId ? { streamId: input.streamId } : {}) }),
  );
