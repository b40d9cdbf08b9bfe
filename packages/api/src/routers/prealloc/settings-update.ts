import { z } from "zod";
import { preallocSettingsSchema } from "@shardcast/core";
import { adminProcedure } from "../../trpc.ts";
import { preallocSettings } from "../../services/prealloc-settings.ts";
import { saveSettings } from "../settings-save.ts";

export const settingsUpdateOutput = z.object({ settings: preallocSettingsSchema, changed: z.array(z.string()) });

/** The pre-allocator reads the settings at the start of every run: a change applies on the next one. */
export const settingsUpdate = adminProcedure
  .input(preallocSettings.input)
  .output(settingsUpdateOutput)
  .mutation(({ ctx, input }) => saveSettings(ctx, "prealloc", preallocSettings, input));
