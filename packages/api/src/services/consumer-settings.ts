import { CONSUMER_SETTINGS_KEY, consumerSettingsSchema } from "@shardcast/core";
import { keyedSettings } from "./keyed-settings.ts";

/** Consumer-group and checkpoint settings: edges and the checkpoint job read them within seconds. */
export const consumerSettings = keyedSettings(CONSUMER_SETTINGS_KEY, consumerSettingsSchema);
