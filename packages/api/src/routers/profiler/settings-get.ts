import { z } from "zod";
import { profilerSettingsSchema } from "@shardcast/core";
import { viewerProcedure } from "../../trpc.ts";
import { profilerSettings } from "../../services/profiler-settings.ts";
import { settingsAuditEntrySchema } from "../shared.ts";

export const settingsOutput = z.object({
  settings: profilerSettingsSchema,
  defaults: profilerSettingsSchema,
  updatedAt: z.date().nullable(),
  audit: z.array(settingsAuditEntrySchema),
});

export const settingsGet = viewerProcedure.output(settingsOutput).query(async ({ ctx }) => {
  const [{ settings, updatedAt }, audit] = await Promise.all([profilerSettings.get(ctx.db), profilerSettings.audit(ctx.db, 20)]);
  return { settings, defaults: profilerSettings.defaults, updatedAt, audit };
});
