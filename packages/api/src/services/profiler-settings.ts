import { PROFILER_SETTINGS_KEY, profilerSettingsSchema } from "@shardcast/core";
import { keyedSettings } from "./keyed-settings.ts";

/** Profiler and orchestrator settings: edges and the orchestrator read them within seconds. */
export const profilerSettings = keyedSettings(PROFILER_SETTINGS_KEY, profilerSettingsSchema);
