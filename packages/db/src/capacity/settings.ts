import { CAPACITY_SETTINGS_KEY, capacitySettingsSchema, type CapacitySettings } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { mergeSettingsObject, type SettingActor } from "../settings.ts";

/** The capacity planner's settings as stored (defaults for what is missing or no longer valid). */
export async function getCapacitySettings(db: ControlDb): Promise<CapacitySettings> {
  const row = await db.setting.findUnique({ where: { key: CAPACITY_SETTINGS_KEY } });
  const parsed = capacitySettingsSchema.safeParse(row?.value ?? {});
  // A value an older release stored that no longer validates must not stop the analyzer (and
  // never makes it act: the defaults are forecast-only).
  return parsed.success ? parsed.data : capacitySettingsSchema.parse({});
}

/**
 * Validates and stores the capacity settings (a partial value is merged over the current one),
 * auditing the change. Invalid values are rejected with `validation_failed`, one issue per field,
 * and nothing is stored.
 */
export function updateCapacitySettings(db: ControlDb, value: Partial<CapacitySettings>, actor: SettingActor | null): Promise<CapacitySettings> {
  return mergeSettingsObject(db, CAPACITY_SETTINGS_KEY, capacitySettingsSchema, "capacity", value, actor);
}
