import { z } from "zod";
import { migrationDetail } from "../../services/migrations.ts";
import { viewerProcedure } from "../../trpc.ts";
import { migrationEventSchema, migrationIdInput, migrationSchema } from "./schemas.ts";

export const getMigrationOutput = migrationSchema.extend({
  events: z.array(migrationEventSchema),
  /**
   * What a hand-off left on its source: the sealed shardlet, its history readable there until it
   * expires (null for a copy, before the hand-off sealed it, and once its history expired).
   */
  history: z
    .object({ hostId: z.string(), hostName: z.string(), sizeBytes: z.number(), eventCount: z.number(), sealedAt: z.date(), expiresAt: z.date() })
    .nullable(),
});

/** One migration with its event log (oldest first). */
export const get = viewerProcedure
  .input(migrationIdInput)
  .output(getMigrationOutput)
  .query(({ ctx, input }) => migrationDetail(ctx.db, input.id));
