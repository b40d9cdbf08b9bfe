import { z } from "zod";
import { viewerProcedure } from "../../trpc.ts";
import { settingsAuditEntrySchema } from "../shared.ts";
import { lifecycleAudit } from "../../services/lifecycle-settings.ts";

export const settingsAuditInput = z.object({ limit: z.number().int().min(1).max(200).default(50) }).default({ limit: 50 });

export const settingsAuditOutput = z.object({
  entries: z.array(settingsAuditEntrySchema),
});

export const auditLog = viewerProcedure
  .input(settingsAuditInput)
  .output(settingsAuditOutput)
  .query(async ({ ctx, input }) => ({ entries: await lifecycleAudit(ctx.db, input.limit) }));
