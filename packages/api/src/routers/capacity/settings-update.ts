import { z } from "zod";
import { capacitySettingsSchema } from "@shardcast/core";
import { adminProcedure } from "../../trpc.ts";
import { capacitySettings } from "../../services/capacity-settings.ts";
import { saveSettings } from "../settings-save.ts";

// Any of the fields; the merged whole is checked with the schema the form uses, so its messages
// match field by field (min above max is reported on maxHosts, a scale-in above the target on
// scaleInUtilization, whichever of the pair was sent).
export const settingsUpdateOutput = z.object({ settings: capacitySettingsSchema, changed: z.array(z.string()) });

/** The analyzer reads the settings at the start of every run: a change applies on the next one. */
export const settingsUpdate = adminProcedure
  .input(capacitySettings.input)
  .output(settingsUpdateOutput)
  .mutation(({ ctx, input }) => saveSettings(ctx, "capacity", capacitySettings, input));
