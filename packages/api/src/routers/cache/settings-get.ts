import { z } from "zod";
import { readCacheSettingsSchema } from "@shardcast/core";
import { viewerProcedure } from "../../trpc.ts";
import { cacheSettings } from "../../services/cache-settings.ts";
import { settingsAuditEntrySchema } from "../shared.ts";

export const settingsOutput = z.object({
  settings: readCacheSettingsSchema,
  defaults: readCacheSettingsSchema,
  updatedAt: z.date().nullable(),
  audit: z.array(settingsAuditEntrySchema),
});

export const settingsGet = viewerProcedure.output(settingsOutput).query(async ({ ctx }) => {
  const [{ settings, updatedAt }, audit] = await Promise.all([cacheSettings.get(ctx.db), cacheSettings.audit(ctx.db, 20)]);
  return { settings, defaults: cacheSettings.defaults, updatedAt, audit };
});
