import { parseProfilerSettings, PROFILER_SETTINGS_KEY, profilerSettingsSchema, type ProfilerSettings } from "@shardcast/core";
import { getSettings, listSettingAudit, settingsLastUpdatedAt, updateSetting, type ControlDb, type SettingActor } from "@shardcast/db";
import { lifecycleChanges, type SettingChange } from "./lifecycle-settings.ts";

export const PROFILER_DEFAULTS: ProfilerSettings = profilerSettingsSchema.parse({});

export async function getProfilerSettings(db: ControlDb): Promise<{ settings: ProfilerSettings; updatedAt: Date | null }> {
  const [all, updatedAt] = await Promise.all([getSettings(db), settingsLastUpdatedAt(db, [PROFILER_SETTINGS_KEY])]);
  return { settings: parseProfilerSettings(all[PROFILER_SETTINGS_KEY]), updatedAt };
}

function changes(before: unknown, after: unknown): SettingChange[] {
  return lifecycleChanges({ ...PROFILER_DEFAULTS, ...(before as object) }, { ...PROFILER_DEFAULTS, ...(after as object) }).filter((c) => c.field in PROFILER_DEFAULTS);
}

/** Stores validated settings (audited by the db layer); edges and the orchestrator read them within seconds. */
export async function saveProfilerSettings(db: ControlDb, value: ProfilerSettings, actor: SettingActor): Promise<{ settings: ProfilerSettings; changes: SettingChange[] }> {
  const before = (await getProfilerSettings(db)).settings;
  const settings = profilerSettingsSchema.parse(value);
  await updateSetting(db, PROFILER_SETTINGS_KEY, settings, actor);
  return { settings, changes: changes(before, settings) };
}

export async function profilerSettingsAudit(db: ControlDb, limit: number) {
  const rows = await listSettingAudit(db, { limit, key: PROFILER_SETTINGS_KEY });
  return rows.map((r) => ({ id: r.id, at: r.at, actorEmail: r.actorEmail, changes: changes(r.oldValue ?? {}, r.newValue) }));
}
