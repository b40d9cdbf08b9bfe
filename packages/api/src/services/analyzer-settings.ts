import { analyzerSettingsSchema, type AnalyzerSettings } from "@shardcast/core";
import { getAnalyzerSettings, updateAnalyzerSettings, type ControlDb, type SettingActor } from "@shardcast/db";

export const ANALYZER_DEFAULTS: AnalyzerSettings = analyzerSettingsSchema.parse({});

export interface AnalyzerSettingChange {
  field: string;
  old: unknown;
  new: unknown;
}

/** Field-level difference of two settings values. */
export function analyzerChanges(before: AnalyzerSettings, after: AnalyzerSettings): AnalyzerSettingChange[] {
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  return [...new Set([...Object.keys(b), ...Object.keys(a)])]
    .filter((f) => JSON.stringify(b[f]) !== JSON.stringify(a[f]))
    .map((f) => ({ field: f, old: b[f] ?? null, new: a[f] ?? null }));
}

/** Stores the settings (audited by the db layer) and returns what changed, for the operations log. */
export async function saveAnalyzerSettings(
  db: ControlDb,
  value: AnalyzerSettings,
  actor: SettingActor,
): Promise<{ settings: AnalyzerSettings; changes: AnalyzerSettingChange[] }> {
  const before = await getAnalyzerSettings(db);
  const settings = await updateAnalyzerSettings(db, value, actor);
  return { settings, changes: analyzerChanges(before, settings) };
}
