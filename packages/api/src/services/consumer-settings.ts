import { CONSUMER_SETTINGS_KEY, consumerSettingsSchema, parseConsumerSettings, type ConsumerSettings } from "@shardcast/core";
import { getSettings, listSettingAudit, settingsLastUpdatedAt, updateSetting, type ControlDb, type SettingActor } from "@shardcast/db";
import { lifecycleChanges, type SettingChange } from "./lifecycle-settings.ts";

export const CONSUMER_DEFAULTS: ConsumerSettings = consumerSettingsSchema.parse({});

export async function getConsumerSettings(db: ControlDb): Promise<{ settings: ConsumerSettings; updatedAt: Date | null }> {
  const [all, updatedAt] = await Promise.all([getSettings(db), settingsLastUpdatedAt(db, [CONSUMER_SETTINGS_KEY])]);
  return { settings: parseConsumerSettings(all[CONSUMER_SETTINGS_KEY]), updatedAt };
}

/** Field-level changes against the consumer defaults (a first save compares with them). */
function changes(before: unknown, after: unknown): SettingChange[] {
  return lifecycleChanges({ ...CONSUMER_DEFAULTS, ...(before as object) }, { ...CONSUMER_DEFAULTS, ...(after as object) }).filter((c) => c.field in CONSUMER_DEFAULTS);
}

/** Stores validated settings (audited by the db layer); edges and the checkpoint job read them within seconds. */
export async function saveConsumerSettings(db: ControlDb, value: ConsumerSettings, actor: SettingActor): Promise<{ settings: ConsumerSettings; changes: SettingChange[] }> {
  const before = (await getConsumerSettings(db)).settings;
  const settings = consumerSettingsSchema.parse(value);
  await updateSetting(db, CONSUMER_SETTINGS_KEY, settings, actor);
  return { settings, changes: changes(before, settings) };
}

export async function consumerSettingsAudit(db: ControlDb, limit: number) {
  const rows = await listSettingAudit(db, { limit, key: CONSUMER_SETTINGS_KEY });
  return rows.map((r) => ({ id: r.id, at: r.at, actorEmail: r.actorEmail, changes: changes(r.oldValue ?? {}, r.newValue) }));
}
