import { REBALANCE_SETTINGS_KEY, rebalanceSettingsSchema, ShardcastError, type RebalanceSettings } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { getSettings, updateSetting, type SettingActor } from "./settings.ts";

/** The rebalance settings as stored (defaults for what is missing). */
export async function getRebalanceSettings(db: ControlDb): Promise<RebalanceSettings> {
  const row = await db.setting.findUnique({ where: { key: REBALANCE_SETTINGS_KEY } });
  const parsed = rebalanceSettingsSchema.safeParse(row?.value ?? {});
  // A stored value that no longer validates (an older release's shape) falls back to defaults
  // rather than stopping the planner; saving the form again repairs it.
  return parsed.success ? parsed.data : rebalanceSettingsSchema.parse({});
}

/** When the rebalance settings were last saved, or null while the defaults apply. */
export async function rebalanceSettingsUpdatedAt(db: ControlDb): Promise<Date | null> {
  const row = await db.setting.findUnique({ where: { key: REBALANCE_SETTINGS_KEY }, select: { updatedAt: true } });
  return row?.updatedAt ?? null;
}

/**
 * Validates and stores the rebalance settings (a partial value is merged over the current one),
 * auditing the change. Invalid values are rejected with `validation_failed`, one issue per field.
 */
export async function updateRebalanceSettings(db: ControlDb, value: Partial<RebalanceSettings>, actor: SettingActor | null): Promise<RebalanceSettings> {
  const current = (await getSettings(db))[REBALANCE_SETTINGS_KEY];
  const base = typeof current === "object" && current !== null ? (current as Record<string, unknown>) : {};
  const parsed = rebalanceSettingsSchema.safeParse({ ...base, ...value });
  if (!parsed.success) {
    const rejected = parsed.error.issues.map((i) => {
      const path = i.path.map(String).join(".");
      return { index: 0, path, message: path ? `${path}: ${i.message}` : i.message };
    });
    throw new ShardcastError("validation_failed", `invalid rebalance settings: ${rejected.map((r) => r.message).join("; ")}`, { rejected });
  }
  await updateSetting(db, REBALANCE_SETTINGS_KEY, parsed.data, actor);
  return parsed.data;
}
