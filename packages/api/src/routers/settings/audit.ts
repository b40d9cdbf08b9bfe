import { z } from "zod";
import { viewerProcedure } from "../../trpc.ts";
import { lifecycleAudit } from "../../services/lifecycle-settings.ts";

export const settingsAuditInput = z.object({ limit: z.number().int().min(1).max(200).default(50) }).default({ limit: 50 });

export const settingsAuditOutput = z.object({
  entries: z.array(
    z.object({
      id: z.number(),
      at: z.date(),
      actorEmail: z.string().nullable(),
      /** Only the fields that changed, each old -> new (a first save compares with the defaults). */
      changes: z.array(z.object({ field: z.string(), old: z.unknown(), new: z.unknown() })),
    }),
  ),
});

export const auditLog = viewerProcedure
  .input(settingsAuditInput)
  .output(settingsAuditOutput)
  .query(async ({ ctx, input }) => ({ entries: await lifecycleAudit(ctx.db, input.limit) }));
