import { z } from "zod";
import { readCacheSettingsSchema } from "@shardcast/core";
import { adminProcedure } from "../../trpc.ts";
import { cacheSettings } from "../../services/cache-settings.ts";
import { saveSettings } from "../settings-save.ts";

// Any of the fields; the merged whole is checked with the schema the form uses, so its messages match field by field.
export const settingsUpdateOutput = z.object({ settings: readCacheSettingsSchema, changed: z.array(z.string()) });

/** Nothing is published: the correlation job reads the settings on every run and hands the threshold to the edges with its map. */
export const settingsUpdate = adminProcedure
  .input(cacheSettings.input)
  .output(settingsUpdateOutput)
  .mutation(({ ctx, input }) => saveSettings(ctx, "read cache", cacheSettings, input));
