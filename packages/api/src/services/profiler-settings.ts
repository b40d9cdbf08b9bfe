import { PROFILER_SETTINGS_KEY, profilerSettingsSchema, streamNameSchema } from "@shardcast/core";
import { keyedSettings } from "./keyed-settings.ts";

/** Most streams with settings of their own: the whole value is read by every edge every few seconds. */
export const MAX_STREAM_PROFILE_OVERRIDES = 1000;

// The per-stream entries are keyed by stream name: a key no stream can have never applies, and one
// PostgreSQL cannot store (a NUL, an unpaired surrogate) would fail the save as a server error.
const profilerSaveSchema = profilerSettingsSchema.superRefine((s, ctx) => {
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

/**
 * Profiler and orchestrator settings: edges and the orchestrator read them within seconds. A save
 * replaces `streams` as a whole when it gives it (so an entry can be removed), like any field.
 */
export const profilerSettings = keyedSettings(PROFILER_SETTINGS_KEY, profilerSettingsSchema, profilerSaveSchema);
