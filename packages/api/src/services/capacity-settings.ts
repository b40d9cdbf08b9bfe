import { CAPACITY_SETTINGS_KEY, capacitySettingsSchema, type CapacitySettings } from "@shardcast/core";
import { getCapacitySettings, settingsLastUpdatedAt, type ControlDb } from "@shardcast/db";
import { keyedSettings } from "./keyed-settings.ts";

const keyed = keyedSettings(CAPACITY_SETTINGS_KEY, capacitySettingsSchema);

/**
 * Capacity planner settings: the analyzer reads them at the start of every run. Read through the
 * worker's db function, so both see one value (a stored value that no longer validates reads as
 * the defaults there, which never act, and a save merges over those).
 */
export const capacitySettings = {
  ...keyed,
  async get(db: ControlDb): Promise<{ settings: CapacitySettings; updatedAt: Date | null }> {
    const [settings, updatedAt] = await Promise.all([getCapacitySettings(db), settingsLastUpdatedAt(db, [CAPACITY_SETTINGS_KEY])]);
    return { settings, updatedAt };
  },
};
