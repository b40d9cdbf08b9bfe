import { ShardcastError, type Role } from "@shardcast/core";
import { actAs } from "./acting-user.ts";
import type { z } from "zod";
import type { ControlDb } from "./client.ts";
import { sqlRows } from "./sql.ts";
import { num } from "./errors.ts";
import { Prisma } from "./generated/prisma/client.ts";
import { xactLock } from "./xact-lock.ts";

/** Who changed a setting (a signed-in user, or null for the system itself). */
export interface SettingActor {
  id?: string | null;
  email?: string | null;
  /** The role the change needs: a user (`id`) is checked to still hold it as the change is written (see acting-user.ts). */
  role?: Role;
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

/** One setting's stored value (undefined when never saved), in plain SQL: movers read theirs on every run (see sql.ts). */
export async function storedSetting(db: ControlDb, key: string): Promise<unknown> {
  const [row] = await sqlRows<{ value: unknown }>(db, "SELECT value FROM settings WHERE key = $1", [key]);
  return row?.value;
}

/** Sets one setting and appends the change (old and new value, who) to setting_audit, atomically. */
export async function updateSetting(db: ControlDb, key: string, value: unknown, actor: SettingActor | null): Promise<void> {
  await editSettings(db, [key], () => ({ write: new Map([[key, value]]), result: undefined }), actor);
}

/**
 * Merges `value` over the settings object stored under `key` (over nothing when never saved),
 * checks the whole with `schema` and stores it, audited, all under the key's lock (see
 * `editSettings`): two partial updates of different fields both take. An invalid result is refused
 * with `validation_failed`, one issue per field, and stores nothing. `label` names the group in
 * the message ("invalid <label> settings: ...").
 */
export async function mergeSettingsObject<T>(db: ControlDb, key: string, schema: z.ZodType<T>, label: string, value: object, actor: SettingActor | null): Promise<T> {
  return editSettings(
    db,
    [key],
    (stored) => {
      const current = stored.get(key);
      const base = typeof current === "object" && current !== null && !Array.isArray(current) ? (current as Record<string, unknown>) : {};
      const parsed = schema.safeParse({ ...base, ...value });
      if (!parsed.success) {
        // The API's shape for a refused field (one item, index 0: the settings value).
        const rejected = parsed.error.issues.map((i) => {
          const path = i.path.map(String).join(".");
          return { index: 0, path, message: path ? `${path}: ${i.message}` : i.message };
        });
        throw new ShardcastError("validation_failed", `invalid ${label} settings: ${rejected.map((r) => r.message).join("; ")}`, { rejected });
      }
      return { write: new Map([[key, parsed.data]]), result: parsed.data };
    },
    actor,
  );
}

/** What an `editSettings` edit decides: the values to store (by key, only keys it was given) and what to answer. */
export interface SettingsEdit<R> {
  write: ReadonlyMap<string, unknown>;
  result: R;
}

/**
 * Read-modify-write of settings in one transaction: `edit` gets the stored values of `keys` (a key
 * never saved is absent from the map) and returns the ones to store, each audited old -> new with
 * its actor. Every writer of a key goes through here and holds the key's lock from the read to the
 * commit, so two concurrent edits of one key each see the other's result instead of overwriting
 * it. An error thrown by `edit` stores nothing.
 */
export async function editSettings<R>(
  db: ControlDb,
  keys: readonly string[],
  edit: (stored: ReadonlyMap<string, unknown>) => SettingsEdit<R>,
  actor: SettingActor | null,
): Promise<R> {
  // Sorted, so two edits of overlapping keys take their locks in one order and cannot deadlock.
  const sorted = [...new Set(keys)].sort();
  for (const key of sorted) {
    if (key.length === 0 || key.length > 128) throw new ShardcastError("validation_failed", "setting key must have 1 to 128 characters");
  }
  return db.$transaction(async (tx) => {
    if (actor?.id && actor.role) await actAs(tx, actor.id, actor.role);
    // A row lock alone does not cover a key's first save (there is no row to lock yet): the
    // advisory lock does, and it is held until the commit.
    for (const key of sorted) await xactLock(tx, `setting:${key}`);
    const rows = await tx.$queryRaw<Array<{ key: string; value: unknown }>>`
      SELECT key, value FROM settings WHERE key = ANY(${sorted}::text[]) ORDER BY key FOR UPDATE`;
    const stored = new Map(rows.map((r) => [r.key, r.value]));
    const { write, result } = edit(stored);
    for (const [key, value] of write) {
      if (!sorted.includes(key)) throw new ShardcastError("internal", `setting ${key} was written without its lock`);
      if (value === undefined) throw new ShardcastError("validation_failed", `setting ${key} has no value`);
      const json = JSON.parse(JSON.stringify(value)) as Prisma.InputJsonValue;
      await tx.setting.upsert({
        where: { key },
        create: { key, value: json, updatedById: actor?.id ?? null },
        update: { value: json, updatedById: actor?.id ?? null },
      });
      await tx.settingAudit.create({
        data: {
          key,
          oldValue: stored.has(key) ? (stored.get(key) as Prisma.InputJsonValue) : Prisma.DbNull,
          newValue: json,
          actorId: actor?.id ?? null,
          actorEmail: actor?.email ?? null,
        },
      });
    }
    return result;
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
