import { REBALANCE_SETTINGS_KEY, rebalanceSettingsSchema, type RebalanceSettings } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import type { Prisma } from "./generated/prisma/client.ts";
import { mergeSettingsObject, type SettingActor } from "./settings.ts";

/** The rebalance settings as stored (defaults for what is missing). */
export async function getRebalanceSettings(db: Pick<ControlDb, "setting"> | Prisma.TransactionClient): Promise<RebalanceSettings> {
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
export function updateRebalanceSettings(db: ControlDb, value: Partial<RebalanceSettings>, actor: SettingActor | null): Promise<RebalanceSettings> {
  return mergeSettingsObject(db, REBALANCE_SETTINGS_KEY, rebalanceSettingsSchema, "rebalance", value, actor);
}
