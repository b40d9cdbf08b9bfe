import { z } from "zod";
import { profilerSettingsSchema, streamNameSchema } from "@shardcast/core";
import { audit, settingsChangeMessage } from "../../audit.ts";
import { adminProcedure } from "../../trpc.ts";
import { profilerSettings } from "../../services/profiler-settings.ts";

/** Most streams with settings of their own: the whole value is read by every edge every few seconds. */
export const MAX_STREAM_PROFILE_OVERRIDES = 1000;

// The form validates with the same schema, so its messages match the server's field by field. The
// per-stream entries are keyed by stream name: a key no stream can have never applies, and one
// PostgreSQL cannot store (a NUL, an unpaired surrogate) would fail the save as a server error.
export const updateProfilerSettingsInput = profilerSettingsSchema.superRefine((s, ctx) => {
  const names = Object.keys(s.streams);
  if (names.length > MAX_STREAM_PROFILE_OVERRIDES) {
    ctx.addIssue({ code: "custom", path: ["streams"], message: `at most ${MAX_STREAM_PROFILE_OVERRIDES} streams may have their own settings` });
    return;
  }
  for (const name of names) {
    const checked = streamNameSchema.safeParse(name);
    if (!checked.success) ctx.addIssue({ code: "custom", path: ["streams", name], message: checked.error.issues[0]?.message ?? "not a stream name" });
  }
});
export const settingsUpdateOutput = z.object({ settings: profilerSettingsSchema, changed: z.array(z.string()) });

/** Nothing is published: readers poll the settings every few seconds. */
export const settingsUpdate = adminProcedure
  .input(updateProfilerSettingsInput)
  .output(settingsUpdateOutput)
  .mutation(async ({ ctx, input }) => {
    const { settings, changes } = await profilerSettings.save(ctx.db, input, { id: ctx.user.id, email: ctx.user.email });
    await audit(ctx, { kind: "settings.update", message: settingsChangeMessage("profiler", changes), details: { key: profilerSettings.key, changes } });
    return { settings, changed: changes.map((c) => c.field) };
  });
