import { RETENTION_SETTINGS_KEY, retentionSettingsSchema } from "@shardcast/core";
import { keyedSettings } from "./keyed-settings.ts";

/** Retention settings: the retention job reads them at the start of every run. */
export const retentionSettings = keyedSettings(RETENTION_SETTINGS_KEY, retentionSettingsSchema);
