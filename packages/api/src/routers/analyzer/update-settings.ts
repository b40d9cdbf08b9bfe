import { z } from "zod";
import { analyzerSettingsSchema } from "@shardcast/core";
import { adminProcedure } from "../../trpc.ts";
import { analyzerSettings } from "../../services/analyzer-settings.ts";
import { saveSettings } from "../settings-save.ts";

/** Any of the fields; the merged whole is checked with the schema the form uses, so its messages match field by field. */
export const updateAnalyzerSettingsInput = analyzerSettings.input;
export const updateAnalyzerSettingsOutput = z.object({ analyzer: analyzerSettingsSchema, changed: z.array(z.string()) });

/** The worker reads the settings at the start of every run: a change applies on the next one. */
export const updateSettings = adminProcedure
  .input(updateAnalyzerSettingsInput)
  .output(updateAnalyzerSettingsOutput)
  .mutation(async ({ ctx, input }) => {
    const { settings, changed } = await saveSettings(ctx, "analyzer", analyzerSettings, input);
    return { analyzer: settings, changed };
  });
