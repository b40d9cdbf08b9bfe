import { z } from "zod";
import { retentionSettingsSchema } from "@shardcast/core";
import { adminProcedure, viewerProcedure } from "../../trpc.ts";
import { retentionSettings } from "../../services/retention-settings.ts";
import { settingsAuditEntrySchema } from "../shared.ts";
import { saveSettings } from "../settings-save.ts";

export const retentionSettingsOutput = z.object({
  settings: retentionSettingsSchema,
  defaults: retentionSettingsSchema,
  updatedAt: z.date().nullable(),
  audit: z.array(settingsAuditEntrySchema),
});

export const retentionSettingsGet = viewerProcedure.output(retentionSettingsOutput).query(async ({ ctx }) => {
  const [{ settings, updatedAt }, audit] = await Promise.all([retentionSettings.get(ctx.db), retentionSettings.audit(ctx.db, 20)]);
  return { settings, defaults: retentionSettings.defaults, updatedAt, audit };
});

/**
 * Nothing is published: the retention job reads the settings at the start of every run. Partitions
 * made already keep their bounds; a new span applies to the partitions made after it.
 */
export const retentionSettingsUpdate = adminProcedure
  .input(retentionSettings.input)
  .output(z.object({ settings: retentionSettingsSchema, changed: z.array(z.string()) }))
  .mutation(({ ctx, input }) => saveSettings(ctx, "retention", retentionSettings, input));
