import { PREALLOC_SETTINGS_KEY, preallocSettingsSchema, type PreallocSettings } from "@shardcast/core";
import { getPreallocSettings, updatePreallocSettings, type ControlDb, type SettingActor } from "@shardcast/db";
import { keyedSettings } from "./keyed-settings.ts";
import type { SettingChange } from "./lifecycle-settings.ts";

const keyed = keyedSettings(PREALLOC_SETTINGS_KEY, preallocSettingsSchema);

/**
 * Pre-allocation settings: the pre-allocator reads them at the start of every run. Read and
 * written through the worker's db functions, so both see one value (a stored value that no longer
 * validates reads as the defaults, aggressiveness 0, which never prepares anything).
 */
export const preallocSettings = {
  key: PREALLOC_SETTINGS_KEY,
  defaults: keyed.defaults,
  async get(db: ControlDb): Promise<{ settings: PreallocSettings; updatedAt: Date | null }> {
    const [settings, stored] = await Promise.all([getPreallocSettings(db), keyed.get(db).catch(() => ({ updatedAt: null }))]);
    return { settings, updatedAt: stored.updatedAt };
  },
  async save(db: ControlDb, value: PreallocSettings, actor: SettingActor): Promise<{ settings: PreallocSettings; changes: SettingChange[] }> {
    const before = await getPreallocSettings(db);
    const settings = await updatePreallocSettings(db, value, actor);
    const changes: SettingChange[] = (Object.keys(keyed.defaults) as Array<keyof PreallocSettings>)
      .filter((k) => before[k] !== settings[k])
      .map((field) => ({ field, old: before[field], new: settings[field] }));
    return { settings, changes };
  },
  audit: (db: ControlDb, limit: number) => keyed.audit(db, limit),
};
