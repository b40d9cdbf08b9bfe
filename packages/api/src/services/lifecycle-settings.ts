import { LIFECYCLE_SETTINGS_KEY, lifecycleSettingsSchema, type LifecycleSettings } from "@shardcast/core";
import { listSettingAudit, updateSetting, type ControlDb, type SettingActor } from "@shardcast/db";

/**
 * Lifecycle settings as the console reads and writes them. Thin on purpose: the stored value is
 * the JSON object under `LIFECYCLE_SETTINGS_KEY`, the same one the worker parses on every scan.
 */

export const LIFECYCLE_DEFAULTS: LifecycleSettings = lifecycleSettingsSchema.parse({});

export interface StoredLifecycleSettings {
  settings: LifecycleSettings;
  updatedAt: Date | null;
  /** Set when the stored value no longer parses (defaults are shown instead). */
  storedError: string | null;
}

export async function readLifecycleSettings(db: ControlDb): Promise<StoredLifecycleSettings> {
  const row = await db.setting.findUnique({ where: { key: LIFECYCLE_SETTINGS_KEY } });
  if (!row) return { settings: LIFECYCLE_DEFAULTS, updatedAt: null, storedError: null };
  const parsed = lifecycleSettingsSchema.safeParse(row.value ?? {});
  if (!parsed.success) {
    return { settings: LIFECYCLE_DEFAULTS, updatedAt: row.updatedAt, storedError: parsed.error.issues.map((i) => i.message).join("; ") };
  }
  return { settings: parsed.data, updatedAt: row.updatedAt, storedError: null };
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
  const before = { ...LIFECYCLE_DEFAULTS, ...asRecord(oldValue) } as Record<string, unknown>;
  const after = { ...LIFECYCLE_DEFAULTS, ...asRecord(newValue) } as Record<string, unknown>;
  const fields = [...new Set([...Object.keys(LIFECYCLE_DEFAULTS), ...Object.keys(before), ...Object.keys(after)])];
  return fields
    .filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f]))
    .map((f) => ({ field: f, old: before[f] ?? null, new: after[f] ?? null }));
}

/** Stores validated settings and writes the audit row; returns what changed. */
export async function saveLifecycleSettings(db: ControlDb, value: LifecycleSettings, actor: SettingActor): Promise<SettingChange[]> {
  const before = await db.setting.findUnique({ where: { key: LIFECYCLE_SETTINGS_KEY }, select: { value: true } });
  await updateSetting(db, LIFECYCLE_SETTINGS_KEY, value, actor);
  return lifecycleChanges(before?.value ?? null, value);
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
