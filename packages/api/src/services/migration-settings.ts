import {
  MIGRATION_SETTINGS_KEY,
  migrationSettingsSchema,
  REBALANCE_SETTINGS_KEY,
  rebalanceSettingsSchema,
  ShardcastError,
  type MigrationSettings,
  type RebalanceSettings,
} from "@shardcast/core";
import {
  getMigrationSettings,
  getRebalanceSettings,
  listSettingAudit,
  settingsLastUpdatedAt,
  updateMigrationSettings,
  updateRebalanceSettings,
  type ControlDb,
  type SettingActor,
} from "@shardcast/db";

/**
 * The rebalancer's and the mover's settings as one form: read, validated, stored and audited (the
 * settings audit table records old -> new and who, the operations log says what changed).
 */

export const REBALANCE_DEFAULTS: RebalanceSettings = rebalanceSettingsSchema.parse({});
export const MIGRATION_DEFAULTS: MigrationSettings = migrationSettingsSchema.parse({});

export interface SettingChange {
  field: string;
  old: unknown;
  new: unknown;
}

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

export async function saveMoveSettings(
  db: ControlDb,
  value: { rebalance?: RebalanceSettings | undefined; migration?: MigrationSettings | undefined },
  actor: SettingActor,
): Promise<{ rebalance: RebalanceSettings; migration: MigrationSettings; changes: Array<SettingChange & { key: string }> }> {
  const [rebalanceBefore, migrationBefore] = await Promise.all([getRebalanceSettings(db), getMigrationSettings(db)]);
  // Both are validated before either is stored, so a bad field in one half stores nothing.
  if (value.migration) {
    const parsed = migrationSettingsSchema.safeParse(value.migration);
    if (!parsed.success) {
      const rejected = parsed.error.issues.map((i) => {
        const path = ["migration", ...i.path.map(String)].join(".");
        return { index: 0, path, message: `${path}: ${i.message}` };
      });
      throw new ShardcastError("validation_failed", `invalid migration settings: ${rejected.map((r) => r.message).join("; ")}`, { rejected });
    }
  }
  const rebalance = value.rebalance ? await updateRebalanceSettings(db, value.rebalance, actor) : rebalanceBefore;
  const migration = value.migration ? await updateMigrationSettings(db, value.migration, actor) : migrationBefore;
  const changes = [
    ...settingChanges(REBALANCE_DEFAULTS, rebalanceBefore, rebalance).map((c) => ({ ...c, key: REBALANCE_SETTINGS_KEY })),
    ...settingChanges(MIGRATION_DEFAULTS, migrationBefore, migration).map((c) => ({ ...c, key: MIGRATION_SETTINGS_KEY })),
  ];
  return { rebalance, migration, changes };
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
