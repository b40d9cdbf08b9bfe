import { READ_CACHE_SETTINGS_KEY, readCacheSettingsSchema } from "@shardcast/core";
import { keyedSettings } from "./keyed-settings.ts";

/** Read cache and prefetch settings: the correlation job reads them each run and publishes the threshold with its map. */
export const cacheSettings = keyedSettings(READ_CACHE_SETTINGS_KEY, readCacheSettingsSchema);
