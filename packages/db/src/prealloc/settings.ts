import { PREALLOC_SETTINGS_KEY, preallocSettingsSchema, type PreallocSettings } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { getSettings, mergeSettingsObject, type SettingActor } from "../settings.ts";

/** Pre-allocation settings as stored (defaults, i.e. aggressiveness 0, for what is missing or no longer valid). */
export async function getPreallocSettings(db: ControlDb): Promise<PreallocSettings> {
  const stored = (await getSettings(db))[PREALLOC_SETTINGS_KEY];
  const parsed = preallocSettingsSchema.safeParse(stored ?? {});
  // A value that no longer validates must never make the pre-allocator act: the defaults are off.
  return parsed.success ? parsed.data : preallocSettingsSchema.parse({});
}

/**
 * Validates and stores the pre-allocation settings (merged over the current ones), audited.
 * Invalid values are rejected with `validation_failed`, one issue per field, and nothing is stored.
 */
export function updatePreallocSettings(db: ControlDb, value: Partial<PreallocSettings>, actor: SettingActor | null): Promise<PreallocSettings> {
  return mergeSettingsObject(db, PREALLOC_SETTINGS_KEY, preallocSettingsSchema, "pre-allocation", value, actor);
}
