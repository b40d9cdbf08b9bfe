import { LIFECYCLE_SETTINGS_KEY, lifecycleSettingsSchema, type LifecycleSettings } from "@shardcast/core";
import { listSettingAudit, settingsLastUpdatedAt, type ControlDb } from "@shardcast/db";
import { settingsKind, type SettingChange } from "./settings-merge.ts";

export type { SettingChange };

export const LIFECYCLE_DEFAULTS: LifecycleSettings = lifecycleSettingsSchema.parse({});

/**
 * The lifecycle settings as a save sees them. The rate pair gets the rule the fullness pair has:
 * two siblings each writing just under the merge rate make a shardlet writing up to twice that,
 * which must stay under the split rate. The workers' schema leaves it out, so a value stored
 * before the rule still reads as it is; a save must satisfy it.
 */
export const lifecycleSettings = settingsKind(
  LIFECYCLE_SETTINGS_KEY,
  lifecycleSettingsSchema,
  lifecycleSettingsSchema.refine((s) => s.mergeWriteRate * 2 < s.splitWriteRate, {
    message: "merge write rate must be less than half the split write rate, or a merge would be split again at once",
    path: ["mergeWriteRate"],
  }),
);

/** When the lifecycle settings were last saved, or null while the defaults apply. */
export async function lifecycleSettingsUpdatedAt(db: ControlDb): Promise<Date | null> {
  return settingsLastUpdatedAt(db, [LIFECYCLE_SETTINGS_KEY]);
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
