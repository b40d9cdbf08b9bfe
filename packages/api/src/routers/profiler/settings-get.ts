import { z } from "zod";
import { profilerSettingsSchema } from "@shardcast/core";
import { viewerProcedure } from "../../trpc.ts";
import { getProfilerSettings, PROFILER_DEFAULTS, profilerSettingsAudit } from "../../services/profiler-settings.ts";

export const profilerSettingsOutput = z.object({
  settings: profilerSettingsSchema,
  defaults: profilerSettingsSchema,
  updatedAt: z.date().nullable(),
  audit: z.array(z.object({ id: z.number(), at: z.date(), actorEmail: z.string().nullable(), changes: z.array(z.object({ field: z.string(), old: z.unknown(), new: z.unknown() })) })),
});

export const settingsGet = viewerProcedure.output(profilerSettingsOutput).query(async ({ ctx }) => {
  const [{ settings, updatedAt }, audit] = await Promise.all([getProfilerSettings(ctx.db), profilerSettingsAudit(ctx.db, 20)]);
  return { settings, defaults: PROFILER_DEFAULTS, updatedAt, audit };
});
