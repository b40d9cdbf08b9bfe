import { z } from "zod";
import { profilerSettingsSchema } from "@shardcast/core";
import { adminProcedure } from "../../trpc.ts";
import { profilerSettings } from "../../services/profiler-settings.ts";
import { saveSettings } from "../settings-save.ts";

export { MAX_STREAM_PROFILE_OVERRIDES } from "../../services/profiler-settings.ts";

/**
 * Any of the fields (`streams`, when given, replaces the per-stream entries as a whole); the
 * merged whole is checked with the schema the form uses, plus the stream-name rules of
 * profiler-settings.ts, so its messages match field by field.
 */
export const updateProfilerSettingsInput = profilerSettings.input;
export const settingsUpdateOutput = z.object({ settings: profilerSettingsSchema, changed: z.array(z.string()) });

/** Nothing is published: readers poll the settings every few seconds. */
export const settingsUpdate = adminProcedure
  .input(updateProfilerSettingsInput)
  .output(settingsUpdateOutput)
  .mutation(({ ctx, input }) => saveSettings(ctx, "profiler", profilerSettings, input));
