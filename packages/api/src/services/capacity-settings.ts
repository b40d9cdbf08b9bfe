import { CAPACITY_SETTINGS_KEY, capacitySettingsSchema, type CapacitySettings } from "@shardcast/core";
import { getCapacitySettings, settingsLastUpdatedAt, updateCapacitySettings, type ControlDb, type SettingActor } from "@shardcast/db";
import { keyedSettings } from "./keyed-settings.ts";
import { lifecycleChanges, type SettingChange } from "./lifecycle-settings.ts";

const keyed = keyedSettings(CAPACITY_SETTINGS_KEY, capacitySettingsSchema);

/**
 * Capacity planner settings: the analyzer reads them at the start of every run. Read and written
 * through the same db functions as the worker's, so both see one value (a stored value that no
 * longer validates reads as the defaults there, which never act).
 */
export const capacitySettings = {
  key: CAPACITY_SETTINGS_KEY,
  defaults: keyed.defaults,
  async get(db: ControlDb): Promise<{ settings: CapacitySettings; updatedAt: Date | null }> {
    const [settings, updatedAt] = await Promise.all([getCapacitySettings(db), settingsLastUpdatedAt(db, [CAPACITY_SETTINGS_KEY])]);
    return { settings, updatedAt };
  },
  async save(db: ControlDb, value: CapacitySettings, actor: SettingActor): Promise<{ settings: CapacitySettings; changes: SettingChange[] }> {
    const before = await getCapacitySettings(db);
    const settings = await updateCapacitySettings(db, value, actor);
    return { settings, changes: lifecycleChanges(before, settings).filter((c) => c.field in keyed.defaults) };
  },
  audit: (db: ControlDb, limit: number) => keyed.audit(db, limit),
};
