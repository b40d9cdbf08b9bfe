import { z } from "zod";
import { consumerSettingsSchema } from "@shardcast/core";
import { viewerProcedure } from "../../trpc.ts";
import { consumerSettings } from "../../services/consumer-settings.ts";
import { settingsAuditEntrySchema } from "../shared.ts";

export const settingsOutput = z.object({
  settings: consumerSettingsSchema,
  defaults: consumerSettingsSchema,
  updatedAt: z.date().nullable(),
  audit: z.array(settingsAuditEntrySchema),
});

export const settingsGet = viewerProcedure.output(settingsOutput).query(async ({ ctx }) => {
  const [{ settings, updatedAt }, audit] = await Promise.all([consumerSettings.get(ctx.db), consumerSettings.audit(ctx.db, 20)]);
  return { settings, defaults: consumerSettings.defaults, updatedAt, audit };
});
