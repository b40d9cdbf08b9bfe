import { z } from "zod";
import { analyzerSettingsSchema } from "@shardcast/core";
import { analyzerSettingsUpdatedAt, getAnalyzerSettings } from "@shardcast/db";
import { viewerProcedure } from "../../trpc.ts";
import { ANALYZER_DEFAULTS } from "../../services/analyzer-settings.ts";

export const analyzerSettingsOutput = z.object({
  analyzer: analyzerSettingsSchema,
  defaults: analyzerSettingsSchema,
  /** Last save, or null while the defaults apply. */
  updatedAt: z.date().nullable(),
});

export const settings = viewerProcedure.output(analyzerSettingsOutput).query(async ({ ctx }) => {
  const [analyzer, updatedAt] = await Promise.all([getAnalyzerSettings(ctx.db), analyzerSettingsUpdatedAt(ctx.db)]);
  return { analyzer, defaults: ANALYZER_DEFAULTS, updatedAt };
});
