import type { z } from "zod";
import { getSettings, listSettingAudit, settingsLastUpdatedAt, updateSetting, type ControlDb, type SettingActor } from "@shardcast/db";
import { lifecycleChanges, type SettingChange } from "./lifecycle-settings.ts";

/**
 * One group of settings stored as one JSON value under `key` (consumers, profiler, ...): read with
 * its defaults, saved validated (the db layer audits the write), and its audit as field changes.
 */
export interface KeyedSettings<T extends object> {
  key: string;
  defaults: T;
  get(db: ControlDb): Promise<{ settings: T; updatedAt: Date | null }>;
  save(db: ControlDb, value: T, actor: SettingActor): Promise<{ settings: T; changes: SettingChange[] }>;
  audit(db: ControlDb, limit: number): Promise<Array<{ id: number; at: Date; actorEmail: string | null; changes: SettingChange[] }>>;
}

export function keyedSettings<S extends z.ZodType<object>>(key: string, schema: S): KeyedSettings<z.infer<S>> {
  const defaults = schema.parse({});
  // Field-level changes against the defaults (a first save compares with them).
  const changes = (before: unknown, after: unknown): SettingChange[] =>
    lifecycleChanges({ ...defaults, ...(before as object) }, { ...defaults, ...(after as object) }).filter((c) => c.field in defaults);
  const get = async (db: ControlDb) => {
    const [all, updatedAt] = await Promise.all([getSettings(db), settingsLastUpdatedAt(db, [key])]);
    return { settings: schema.parse(all[key] ?? {}), updatedAt };
  };
  return {
    key,
    defaults,
    get,
    async save(db, value, actor) {
      const before = (await get(db)).settings;
      const settings = schema.parse(value);
      await updateSetting(db, key, settings, actor);
      return { settings, changes: changes(before, settings) };
    },
    async audit(db, limit) {
      const rows = await listSettingAudit(db, { limit, key });
      return rows.map((r) => ({ id: r.id, at: r.at, actorEmail: r.actorEmail, changes: changes(r.oldValue ?? {}, r.newValue) }));
    },
  };
}
