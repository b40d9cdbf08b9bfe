import { z } from "zod";
import { ShardcastError, type RejectedItem } from "@shardcast/core";
import { editSettings, type ControlDb, type SettingActor } from "@shardcast/db";

/**
 * Settings updates are merges: a save names the fields it changes, they overlay the stored value,
 * and the merged whole is what is checked and stored. Every console settings procedure saves
 * through `mergeSettings` / `mergeSettingsGroup`, so a script sending `{ splitWriteRate: 500 }`
 * changes that field only, and the console's forms (which send every field) work as before.
 */

export interface SettingChange {
  field: string;
  old: unknown;
  new: unknown;
}

type WithoutDefault<T> = T extends z.ZodDefault<infer I> ? WithoutDefault<I> : T;
type PartialShape<S extends z.ZodRawShape> = { -readonly [K in keyof S]: z.ZodOptional<WithoutDefault<S[K]>> };

/** A settings update's input: any of the fields, none defaulted, no other. */
export type PartialSettingsInput<S extends z.ZodRawShape> = z.ZodObject<PartialShape<S>, z.core.$strict>;

/** One group of settings stored as one JSON value under `key`. */
export interface StoredSettings<T extends object> {
  key: string;
  /** How workers read the stored value: what a save's missing fields keep. */
  read: z.ZodType<T>;
  /** The merged whole must pass this: every field and every cross-field rule, the API's own included. */
  write: z.ZodType<T>;
  defaults: T;
}

export interface SettingsKind<S extends z.ZodRawShape, T extends object> extends StoredSettings<T> {
  input: PartialSettingsInput<S>;
}

function withoutDefault(field: z.core.$ZodType): z.core.$ZodType {
  return field instanceof z.ZodDefault ? withoutDefault(field.unwrap()) : field;
}

/**
 * Describes a group of settings from its schema (the workers' one) and, when the API checks more,
 * the schema a save must pass. The input keeps each field's own checks but not its default (a
 * default there would reset a field the caller left out), and refuses unknown fields: a misspelt
 * field silently ignored would look like a save that did not take.
 */
export function settingsKind<S extends z.ZodRawShape>(
  key: string,
  schema: z.ZodObject<S>,
  write: z.ZodType<z.output<z.ZodObject<S>>> = schema,
): SettingsKind<S, z.output<z.ZodObject<S>>> {
  const shape = Object.fromEntries(Object.entries(schema.shape).map(([field, s]) => [field, z.optional(withoutDefault(s))]));
  // The mapped type says what the loop above builds; TypeScript cannot follow it through entries.
  const input = z.strictObject(shape) as unknown as PartialSettingsInput<S>;
  return { key, read: schema, write, defaults: schema.parse({}), input };
}

/** Field-level difference of two whole values (both parsed, so both have every field). */
export function fieldChanges(before: object, after: object): SettingChange[] {
  const b = before as Record<string, unknown>;
  const a = after as Record<string, unknown>;
  return [...new Set([...Object.keys(b), ...Object.keys(a)])]
    .filter((f) => JSON.stringify(b[f]) !== JSON.stringify(a[f]))
    .map((f) => ({ field: f, old: b[f] ?? null, new: a[f] ?? null }));
}

/** Settings stored under several keys and saved as one form (by part name). */
export type SettingsGroup = Record<string, StoredSettings<object>>;
export type GroupValues<G extends SettingsGroup> = { [N in keyof G]: G[N] extends StoredSettings<infer T> ? T : never };
export type GroupPatch<G extends SettingsGroup> = { [N in keyof G]?: Partial<GroupValues<G>[N]> | undefined };

export interface GroupSave<G extends SettingsGroup> {
  settings: GroupValues<G>;
  /** Only fields whose value changed, with the part of the group they belong to. */
  changes: Array<SettingChange & { part: keyof G & string; key: string }>;
  /** False when nothing was given: nothing was stored (nor audited). */
  saved: boolean;
}

/**
 * Overlays each part's given fields on its stored value and stores the merged wholes, read and
 * written under the keys' locks so concurrent saves of different fields keep each other's. A part
 * without fields is left as stored. Every part is checked before any is stored: one bad field
 * stores nothing and each problem is reported on its field (`part.field` when `prefix` is set).
 */
export async function mergeSettingsGroup<G extends SettingsGroup>(
  db: ControlDb,
  group: G,
  patch: GroupPatch<G>,
  actor: SettingActor,
  opts: { prefix: boolean },
): Promise<GroupSave<G>> {
  const parts = Object.entries(group);
  return editSettings(
    db,
    parts.map(([, p]) => p.key),
    (stored) => {
      const settings: Record<string, object> = {};
      const write = new Map<string, unknown>();
      const changes: GroupSave<G>["changes"] = [];
      const rejected: RejectedItem[] = [];
      for (const [name, part] of parts) {
        const current = part.read.safeParse(stored.get(part.key) ?? {});
        // A stored value that no longer validates reads as the defaults wherever it is read (the
        // workers' fallback), so those are what a save's missing fields keep.
        const before = current.success ? current.data : part.defaults;
        // Only fields present with a value: an explicit undefined (superjson carries one) must
        // not reach the schema, whose default would reset the field.
        const given = Object.entries(patch[name] ?? {}).filter(([, v]) => v !== undefined);
        settings[name] = before;
        if (given.length === 0) continue;
        const merged = part.write.safeParse({ ...before, ...Object.fromEntries(given) });
        if (!merged.success) {
          for (const issue of merged.error.issues) {
            const path = [...(opts.prefix ? [name] : []), ...issue.path.map(String)].join(".");
            rejected.push({ index: 0, path, message: path ? `${path}: ${issue.message}` : issue.message });
          }
          continue;
        }
        settings[name] = merged.data;
        write.set(part.key, merged.data);
        changes.push(...fieldChanges(before, merged.data).map((c) => ({ ...c, part: name, key: part.key })));
      }
      if (rejected.length > 0) throw new ShardcastError("validation_failed", rejected.map((r) => r.message).join("; "), { rejected });
      // Built part by part from each part's own schema above.
      return { write, result: { settings: settings as GroupValues<G>, changes, saved: write.size > 0 } };
    },
    actor,
  );
}

/** `mergeSettingsGroup` for a single group of settings, its problems reported by field name. */
export async function mergeSettings<T extends object>(
  db: ControlDb,
  kind: StoredSettings<T>,
  patch: Partial<T>,
  actor: SettingActor,
): Promise<{ settings: T; changes: SettingChange[]; saved: boolean }> {
  const r = await mergeSettingsGroup(db, { value: kind }, { value: patch }, actor, { prefix: false });
  return { settings: r.settings.value, changes: r.changes.map(({ field, old, new: next }) => ({ field, old, new: next })), saved: r.saved };
}
