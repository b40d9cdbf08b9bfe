import { LIFECYCLE_SETTINGS_KEY, lifecycleSettingsSchema, type LifecycleSettings } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { mergeSettingsObject, storedSetting, type SettingActor } from "./settings.ts";

/** The lifecycle settings as stored (defaults for what is missing). */
export async function getLifecycleSettings(db: ControlDb): Promise<LifecycleSettings> {
  const parsed = lifecycleSettingsSchema.safeParse((await storedSetting(db, LIFECYCLE_SETTINGS_KEY)) ?? {});
  // A stored value that no longer validates (an older release's shape) falls back to defaults
  // rather than stopping the manager; saving the form again repairs it.
  return parsed.success ? parsed.data : lifecycleSettingsSchema.parse({});
}

/**
 * Validates and stores the lifecycle settings (a partial value is merged over the current one),
 * auditing the change. Invalid values are rejected with `validation_failed`, one issue per field.
 */
export function updateLifecycleSettings(db: ControlDb, value: Partial<LifecycleSettings>, actor: SettingActor | null): Promise<LifecycleSettings> {
  return mergeSettingsObject(db, LIFECYCLE_SETTINGS_KEY, lifecycleSettingsSchema, "lifecycle", value, actor);
}
