import { z } from "zod";
import { lifecycleSettingsSchema } from "@shardcast/core";
import { operatorProcedure } from "../../trpc.ts";
import { lifecycleSettings } from "../../services/lifecycle-settings.ts";
import { saveSettings } from "../settings-save.ts";

/** Any of the fields; the merged whole is checked, rate rule included (see lifecycle-settings.ts). */
export const updateSettingsInput = lifecycleSettings.input;
export const updateSettingsOutput = z.object({
  lifecycle: lifecycleSettingsSchema,
  changed: z.array(z.string()),
});

/**
 * Nothing is published: the worker reads the settings at the start of every scan, so the change
 * takes effect on the next one without a restart.
 */
export const update = operatorProcedure
  .input(updateSettingsInput)
  .output(updateSettingsOutput)
  .mutation(async ({ ctx, input }) => {
    const { settings, changed } = await saveSettings(ctx, "lifecycle", lifecycleSettings, input);
    return { lifecycle: settings, changed };
  });
