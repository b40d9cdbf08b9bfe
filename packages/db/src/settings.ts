import { ShardcastError } from "@shardcast/core";
import type { ControlDb } from "./client.ts";
import { num } from "./errors.ts";
import { Prisma } from "./generated/prisma/client.ts";

/** Who changed a setting (a signed-in user, or null for the system itself). */
export interface SettingActor {
  id?: string | null;
  email?: string | null;
}

export interface SettingAuditEntry {
  id: number;
  key: string;
  oldValue: unknown;
  newValue: unknown;
  actorId: string | null;
  actorEmail: string | null;
  at: Date;
}

/** Every stored setting, key -> JSON value. Defaults for missing keys belong to the caller's catalog. */
export async function getSettings(db: ControlDb): Promise<Record<string, unknown>> {
  const rows = await db.setting.findMany({ orderBy: { key: "asc" } });
  return Object.fromEntries(rows.map((r) => [r.key, r.value]));
}

/** Sets one setting and appends the change (old and new value, who) to setting_audit, atomically. */
export async function updateSetting(db: ControlDb, key: string, value: unknown, actor: SettingActor | null): Promise<void> {
  if (key.length === 0 || key.length > 128) throw new ShardcastError("validation_failed", "setting key must have 1 to 128 characters");
  if (value === undefined) throw new ShardcastError("validation_failed", `setting ${key} has no value`);
  const json = JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue;
  await db.$transaction(async (tx) => {
    // Row lock so concurrent updates of one key audit a consistent old -> new chain.
    const old = await tx.$queryRaw<Array<{ value: unknown }>>`SELECT value FROM settings WHERE key = ${key} FOR UPDATE`;
    await tx.setting.upsert({
      where: { key },
      create: { key, value: json, updatedById: actor?.id ?? null },
      update: { value: json, updatedById: actor?.id ?? null },
    });
    await tx.settingAudit.create({
      data: {
        key,
        oldValue: old[0] ? (old[0].value as Prisma.InputJsonValue) : Prisma.DbNull,
        newValue: json,
        actorId: actor?.id ?? null,
        actorEmail: actor?.email ?? null,
      },
    });
  });
}

export async function listSettingAudit(db: ControlDb, query: { limit: number; key?: string }): Promise<SettingAuditEntry[]> {
  const rows = await db.settingAudit.findMany({
    where: query.key ? { key: query.key } : {},
    orderBy: [{ at: "desc" }, { id: "desc" }],
    take: Math.max(1, Math.min(query.limit, 1000)),
  });
  return rows.map((r) => ({ ...r, id: num(r.id) }));
}

/** When any of `keys` was last saved, or null while none is stored (their defaults apply). */
export async function settingsLastUpdatedAt(db: ControlDb, keys: readonly string[]): Promise<Date | null> {
  const rows = await db.setting.findMany({ where: { key: { in: [...keys] } }, select: { updatedAt: true } });
  return rows.reduce<Date | null>((latest, r) => (latest === null || r.updatedAt > latest ? r.updatedAt : latest), null);
}
