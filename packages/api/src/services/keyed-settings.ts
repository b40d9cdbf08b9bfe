import type { z } from "zod";
import { getSettings, listSettingAudit, settingsLastUpdatedAt, type ControlDb } from "@shardcast/db";
import { lifecycleChanges, type SettingChange } from "./lifecycle-settings.ts";
import { settingsKind, type SettingsKind } from "./settings-merge.ts";

/**
 * One group of settings stored as one JSON value under `key` (consumers, profiler, ...): read with
 * its defaults, saved as a merge (see settings-merge.ts; the db layer audits the write), and its
 * audit as field changes.
 */
export interface KeyedSettings<S extends z.ZodRawShape, T extends object> extends SettingsKind<S, T> {
  get(db: ControlDb): Promise<{ settings: T; updatedAt: Date | null }>;
  audit(db: ControlDb, limit: number): Promise<Array<{ id: number; at: Date; actorEmail: string | null; changes: SettingChange[] }>>;
}

/** `write`: what a save must pass when the API checks more than the workers' schema. */
export function keyedSettings<S extends z.ZodRawShape>(
  key: string,
  schema: z.ZodObject<S>,
  write?: z.ZodType<z.output<z.ZodObject<S>>>,
): KeyedSettings<S, z.output<z.ZodObject<S>>> {
  const kind = settingsKind(key, schema, write);
  const defaults = kind.defaults;
  // Field-level changes against the defaults (a first save compares with them).
  const changes = (before: unknown, after: unknown): SettingChange[] =>
    lifecycleChanges({ ...defaults, ...(before as object) }, { ...defaults, ...(after as object) }).filter((c) => c.field in defaults);
  return {
    ...kind,
    async get(db) {
      const [all, updatedAt] = await Promise.all([getSettings(db), settingsLastUpdatedAt(db, [key])]);
      return { settings: schema.parse(all[key] ?? {}), updatedAt };
    },
    async audit(db, limit) {
      const rows = await listSettingAudit(db, { limit, key });
      return rows.map((r) => ({ id: r.id, at: r.at, actorEmail: r.actorEmail, changes: changes(r.oldValue ?? {}, r.newValue) }));
    },
  };
}
