import { z } from "zod";
import { placementSettingsSchema } from "@shardcast/core";
import { viewerProcedure } from "../../trpc.ts";
import { placementSettings } from "../../services/placement-settings.ts";
import { settingsAuditEntrySchema } from "../shared.ts";

export const placementSettingsOutput = z.object({
  settings: placementSettingsSchema,
  defaults: placementSettingsSchema,
  updatedAt: z.date().nullable(),
  audit: z.array(settingsAuditEntrySchema),
});

export const placementSettingsGet = viewerProcedure.output(placementSettingsOutput).query(async ({ ctx }) => {
  const [{ settings, updatedAt }, audit] = await Promise.all([placementSettings.get(ctx.db), placementSettings.audit(ctx.db, 20)]);
  return { settings, defaults: placementSettings.defaults, updatedAt, audit };
});
