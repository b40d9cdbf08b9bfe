import { LIFECYCLE_SETTINGS_KEY, lifecycleSettingsSchema, type LifecycleSettings } from "@shardcast/core";
import { getLifecycleSettings, listSettingAudit, settingsLastUpdatedAt, updateLifecycleSettings, type ControlDb, type SettingActor } from "@shardcast/db";

export const LIFECYCLE_DEFAULTS: LifecycleSettings = lifecycleSettingsSchema.parse({});

/** When the lifecycle settings were last saved, or null while the defaults apply. */
export async function lifecycleSettingsUpdatedAt(db: ControlDb): Promise<Date | null> {
  return settingsLastUpdatedAt(db, [LIFECYCLE_SETTINGS_KEY]);
}

export interface SettingChange {
  field: string;
  old: unknown;
  new: unknown;
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Field-level difference of two stored values; a missing old value counts as the defaults. */
export function lifecycleChanges(oldValue: unknown, newValue: unknown): SettingChange[] {
  const before: Record<string, unknown> = { ...LIFECYCLE_DEFAULTS, ...asRecord(oldValue) };
  const after: Record<string, unknown> = { ...LIFECYCLE_DEFAULTS, ...asRecord(newValue) };
  const fields = [...new Set([...Object.keys(LIFECYCLE_DEFAULTS), ...Object.keys(before), ...Object.keys(after)])];
  return fields
    .filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]))
    .map((f) => ({ field: f, old: before[f] ?? null, new: after[f] ?? null }));
}

/** Stores the settings (audited by the db layer) and returns what changed, for the operations log. */
export async function saveLifecycleSettings(
  db: ControlDb,
  value: LifecycleSettings,
  actor: SettingActor,
): Promise<{ settings: LifecycleSettings; changes: SettingChange[] }> {
  const before = await getLifecycleSettings(db);
  const settings = await updateLifecycleSettings(db, value, actor);
  return { settings, changes: lifecycleChanges(before, settings) };
}

export interface LifecycleAuditEntry {
  id: number;
  at: Date;
  actorEmail: string | null;
  changes: SettingChange[];
}

export async function lifecycleAudit(db: ControlDb, limit: number): Promise<LifecycleAuditEntry[]> {
  const rows = await listSettingAudit(db, { limit, key: LIFECYCLE_SETTINGS_KEY });
  return rows.map((r) => ({ id: r.id, at: r.at, actorEmail: r.actorEmail, changes: lifecycleChanges(r.oldValue, r.newValue) }));
}
