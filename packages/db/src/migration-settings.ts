import { MIGRATION_SETTINGS_KEY, migrationSettingsSchema, type MigrationSettings } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { mergeSettingsObject, storedSetting, type SettingActor } from "./settings.ts";

/** The migration settings as stored (defaults for what is missing). */
export async function getMigrationSettings(db: ControlDb): Promise<MigrationSettings> {
  const parsed = migrationSettingsSchema.safeParse((await storedSetting(db, MIGRATION_SETTINGS_KEY)) ?? {});
  // A stored value that no longer validates (an older release's shape) falls back to the
  // defaults rather than stopping migrations; saving the form again repairs it.
  return parsed.success ? parsed.data : migrationSettingsSchema.parse({});
}

/**
 * Validates and stores the migration settings (a partial value is merged over the current one),
 * auditing the change. Invalid values are rejected with `validation_failed`, one issue per field,
 * and nothing is stored.
 */
export function updateMigrationSettings(db: ControlDb, value: Partial<MigrationSettings>, actor: SettingActor | null): Promise<MigrationSettings> {
  return mergeSettingsObject(db, MIGRATION_SETTINGS_KEY, migrationSettingsSchema, "migration", value, actor);
}
