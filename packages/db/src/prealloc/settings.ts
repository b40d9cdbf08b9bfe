import { PREALLOC_SETTINGS_KEY, preallocSettingsSchema, ShardcastError, type PreallocSettings } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { getSettings, updateSetting, type SettingActor } from "../settings.ts";

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
export async function updatePreallocSettings(db: ControlDb, value: Partial<PreallocSettings>, actor: SettingActor | null): Promise<PreallocSettings> {
  const current = (await getSettings(db))[PREALLOC_SETTINGS_KEY];
  const base = typeof current === "object" && current !== null && !Array.isArray(current) ? (current as Record<string, unknown>) : {};
  const parsed = preallocSettingsSchema.safeParse({ ...base, ...value });
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join("."), message: i.message }));
    const summary = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
    throw new ShardcastError("validation_failed", `invalid pre-allocation settings: ${summary}`, { issues });
  }
  await updateSetting(db, PREALLOC_SETTINGS_KEY, parsed.data, actor);
  return parsed.data;
}
