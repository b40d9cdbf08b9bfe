import { audit, settingsChangeMessage } from "../audit.ts";
import type { Role } from "@shardcast/core";
import type { ApiContext, SessionUser } from "../context.ts";
import { mergeSettings, mergeSettingsGroup, type GroupPatch, type GroupValues, type SettingsGroup, type StoredSettings } from "../services/settings-merge.ts";

type Ctx = Pick<ApiContext, "db" | "log"> & { user: SessionUser; neededRole: Role };

/**
 * What every settings update procedure does: merge the given fields over the stored settings (the
 * db layer audits the write) and say in the operations log what changed. An empty update stores
 * nothing, so it is not logged either.
 */
export async function saveSettings<T extends object>(ctx: Ctx, label: string, kind: StoredSettings<T>, patch: Partial<T>): Promise<{ settings: T; changed: string[] }> {
  const { settings, changes, saved } = await mergeSettings(ctx.db, kind, patch, { id: ctx.user.id, email: ctx.user.email, role: ctx.neededRole });
  if (saved) await audit(ctx, { kind: "settings.update", message: settingsChangeMessage(label, changes), details: { key: kind.key, changes } });
  return { settings, changed: changes.map((c) => c.field) };
}

/** `saveSettings` for settings stored under several keys and saved as one form; fields are named `part.field`. */
export async function saveSettingsGroup<G extends SettingsGroup>(
  ctx: Ctx,
  label: string,
  group: G,
  patch: GroupPatch<G>,
): Promise<{ settings: GroupValues<G>; changed: string[] }> {
  const r = await mergeSettingsGroup(ctx.db, group, patch, { id: ctx.user.id, email: ctx.user.email, role: ctx.neededRole }, { prefix: true });
  const changes = r.changes.map((c) => ({ key: c.key, field: c.field, old: c.old, new: c.new }));
  if (r.saved) {
    const message = settingsChangeMessage(label, r.changes.map((c) => ({ ...c, field: `${c.part}.${c.field}` })));
    await audit(ctx, { kind: "settings.update", message, details: { keys: Object.values(group).map((p) => p.key), changes } });
  }
  return { settings: r.settings, changed: r.changes.map((c) => `${c.part}.${c.field}`) };
}
