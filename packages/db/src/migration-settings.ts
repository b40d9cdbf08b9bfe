import { MIGRATION_SETTINGS_KEY, migrationSettingsSchema, ShardcastError, type MigrationSettings } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { getSettings, updateSetting, type SettingActor } from "./settings.ts";

/** The migration settings as stored (defaults for what is missing). */
export async function getMigrationSettings(db: ControlDb): Promise<MigrationSettings> {
  const row = await db.setting.findUnique({ where: { key: MIGRATION_SETTINGS_KEY } });
  const parsed = migrationSettingsSchema.safeParse(row?.value ?? {});
  // A stored value that no longer validates (an older release's shape) falls back to the
  // defaults rather than stopping migrations; saving the form again repairs it.
  return parsed.success ? parsed.data : migrationSettingsSchema.parse({});
}

/**
 * Validates and stores the migration settings (a partial value is merged over the current one),
 * auditing the change. Invalid values are rejected with `validation_failed`, one issue per field,
 * and nothing is stored.
 */
export async function updateMigrationSettings(db: ControlDb, value: Partial<MigrationSettings>, actor: SettingActor | null): Promise<MigrationSettings> {
  const current = (await getSettings(db))[MIGRATION_SETTINGS_KEY];
  const base = typeof current === "object" && current !== null ? (current as Record<string, unknown>) : {};
  const parsed = migrationSettingsSchema.safeParse({ ...base, ...value });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
    const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
    throw new ShardcastError("validation_failed", `invalid migration settings: ${summary}`, { issues });
  }
  await updateSetting(db, MIGRATION_SETTINGS_KEY, parsed.data, actor);
  return parsed.data;
}
