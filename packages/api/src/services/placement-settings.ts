import { PLACEMENT_SETTINGS_KEY, placementSettingsSchema } from "@shardcast/core";
import { keyedSettings } from "./keyed-settings.ts";

/** Cold archive and placement settings: the placement job reads them at the start of every run. */
export const placementSettings = keyedSettings(PLACEMENT_SETTINGS_KEY, placementSettingsSchema);
