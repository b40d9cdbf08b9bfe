import { PREALLOC_SETTINGS_KEY, preallocSettingsSchema, type PreallocSettings } from "@shardcast/core";
import { getPreallocSettings, type ControlDb } from "@shardcast/db";
import { keyedSettings } from "./keyed-settings.ts";

const keyed = keyedSettings(PREALLOC_SETTINGS_KEY, preallocSettingsSchema);

/**
 * Pre-allocation settings: the pre-allocator reads them at the start of every run. Read through
 * the worker's db function, so both see one value (a stored value that no longer validates reads
 * as the defaults, aggressiveness 0, which never prepares anything, and a save merges over those).
 */
export const preallocSettings = {
  ...keyed,
  async get(db: ControlDb): Promise<{ settings: PreallocSettings; updatedAt: Date | null }> {
    const [settings, stored] = await Promise.all([getPreallocSettings(db), keyed.get(db).catch(() => ({ updatedAt: null }))]);
    return { settings, updatedAt: stored.updatedAt };
  },
};
