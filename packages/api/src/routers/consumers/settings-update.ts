import { z } from "zod";
import { consumerSettingsSchema } from "@shardcast/core";
import { adminProcedure } from "../../trpc.ts";
import { consumerSettings } from "../../services/consumer-settings.ts";
import { saveSettings } from "../settings-save.ts";

// Any of the fields; the merged whole is checked with the schema the form uses, so its messages match field by field.
export const settingsUpdateOutput = z.object({ settings: consumerSettingsSchema, changed: z.array(z.string()) });

/** Nothing is published: readers poll the settings every few seconds. */
export const settingsUpdate = adminProcedure
  .input(consumerSettings.input)
  .output(settingsUpdateOutput)
  .mutation(({ ctx, input }) => saveSettings(ctx, "consumer", consumerSettings, input));
