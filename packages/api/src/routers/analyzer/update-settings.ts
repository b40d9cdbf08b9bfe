import { z } from "zod";
import { analyzerSettingsSchema } from "@shardcast/core";
import { audit, settingsChangeMessage } from "../../audit.ts";
import { adminProcedure } from "../../trpc.ts";
import { saveAnalyzerSettings } from "../../services/analyzer-settings.ts";

// The form validates with the same schema, so its messages match the server's field by field.
export const updateAnalyzerSettingsInput = analyzerSettingsSchema;
export const updateAnalyzerSettingsOutput = z.object({ analyzer: analyzerSettingsSchema, changed: z.array(z.string()) });

/** The worker reads the settings at the start of every run: a change applies on the next one. */
export const updateSettings = adminProcedure
  .input(updateAnalyzerSettingsInput)
  .output(updateAnalyzerSettingsOutput)
  .mutation(async ({ ctx, input }) => {
    const { settings, changes } = await saveAnalyzerSettings(ctx.db, input, { id: ctx.user.id, email: ctx.user.email });
    await audit(ctx, {
      kind: "settings.update",
      message: settingsChangeMessage("analyzer", changes),
      details: { key: "analyzer", changes },
    });
    return { analyzer: settings, changed: changes.map((c) => c.field) };
  });
