import { z } from "zod";
import {
  MIGRATION_SETTINGS_KEY,
  migrationSettingsSchema,
  REBALANCE_SETTINGS_KEY,
  rebalanceSettingsSchema,
  type MigrationSettings,
  type RebalanceSettings,
} from "@shardcast/core";
import { listSettingAudit, settingsLastUpdatedAt, type ControlDb } from "@shardcast/db";
import { settingsKind, type SettingChange } from "./settings-merge.ts";

/**
 * The rebalancer's and the mover's settings as one form: read, validated, stored and audited (the
 * settings audit table records old -> new and who, the operations log says what changed). A save
 * gives either half or both, each a merge over its stored value (see settings-merge.ts).
 */
export const moveSettings = {
  rebalance: settingsKind(REBALANCE_SETTINGS_KEY, rebalanceSettingsSchema),
  migration: settingsKind(MIGRATION_SETTINGS_KEY, migrationSettingsSchema),
};

export const moveSettingsInput = z.strictObject({
  rebalance: moveSettings.rebalance.input.optional(),
  migration: moveSettings.migration.input.optional(),
});

export const REBALANCE_DEFAULTS: RebalanceSettings = rebalanceSettingsSchema.parse({});
export const MIGRATION_DEFAULTS: MigrationSettings = migrationSettingsSchema.parse({});

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Field-level difference of two stored values; a missing old value counts as the defaults. */
export function settingChanges(defaults: object, oldValue: unknown, newValue: unknown): SettingChange[] {
  const base = defaults as Record<string, unknown>;
  const before: Record<string, unknown> = { ...base, ...asRecord(oldValue) };
  const after: Record<string, unknown> = { ...base, ...asRecord(newValue) };
  const fields = [...new Set([...Object.keys(base), ...Object.keys(before), ...Object.keys(after)])];
  return fields.filter((f) => JSON.stringify(before[f]) !== JSON.stringify(after[f])).map((f) => ({ field: f, old: before[f] ?? null, new: after[f] ?? null }));
}

export async function settingsUpdatedAt(db: ControlDb): Promise<Date | null> {
  return settingsLastUpdatedAt(db, [REBALANCE_SETTINGS_KEY, MIGRATION_SETTINGS_KEY]);
}

export interface MoveSettingsAuditEntry {
  id: number;
  key: string;
  at: Date;
  actorEmail: string | null;
  changes: SettingChange[];
}

export async function moveSettingsAudit(db: ControlDb, limit: number): Promise<MoveSettingsAuditEntry[]> {
  const [a, b] = await Promise.all([
    listSettingAudit(db, { limit, key: REBALANCE_SETTINGS_KEY }),
    listSettingAudit(db, { limit, key: MIGRATION_SETTINGS_KEY }),
  ]);
  return [...a, ...b]
    .sort((x, y) => y.at.getTime() - x.at.getTime() || y.id - x.id)
    .slice(0, limit)
    .map((r) => ({
      id: r.id,
      key: r.key,
      at: r.at,
      actorEmail: r.actorEmail,
      changes: settingChanges(r.key === REBALANCE_SETTINGS_KEY ? REBALANCE_DEFAULTS : MIGRATION_DEFAULTS, r.oldValue, r.newValue),
    }));
}
