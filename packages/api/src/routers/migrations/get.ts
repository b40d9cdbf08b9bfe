import { z } from "zod";
import { getMigration } from "@shardcast/db";
import { migrationDetailView } from "../../services/migrations.ts";
import { viewerProcedure } from "../../trpc.ts";
import { migrationEventSchema, migrationIdInput, migrationSchema } from "./schemas.ts";

export const getMigrationOutput = migrationSchema.extend({ events: z.array(migrationEventSchema) });

/** One migration with its event log (oldest first). */
export const get = viewerProcedure
  .input(migrationIdInput)
  .output(getMigrationOutput)
  .query(async ({ ctx, input }) => migrationDetailView(await getMigration(ctx.db, input.id)));
