import { getSettings, listOperations } from "@shardcast/db";
import { expect } from "vitest";
import type { Harness } from "./harness.ts";

// Lists too: a group may hold a list setting (the read cache's payload fields).
type Values = Record<string, number | boolean | readonly string[]>;

export interface SettingsProcedures<S extends Values> {
  /** The query that reads the settings and their audit, and the mutation that changes them. */
  query: string;
  mutation: string;
  /** The settings key they are stored under. */
  key: string;
  /** What the query answers before anyone changed anything. */
  defaults: S;
  /** The one change made: field and new value. */
  change: { field: keyof S & string; to: number };
  /** A value the mutation rejects, with the message it names the field with... */
  invalid: { field: keyof S & string; to: number; message: string };
  /** ...and another one it rejects. */
  alsoInvalid: Partial<S>;
  /** The operations log's line for the change. */
  logged: string;
}

interface Answer<S> {
  settings: S;
  audit: Array<{ actorEmail: string | null; changes: Array<{ field: string; old: unknown; new: unknown }> }>;
}

/**
 * What each pair of settings procedures promises: anyone signed in reads the settings and their
 * audit, only admins change them, an invalid change stores nothing, and a valid one is stored,
 * audited field by field with its author and written to the operations log.
 */
export async function expectAdminOnlySettings<S extends Values>(h: Harness, sessions: { viewer: string; operator: string; admin: string }, p: SettingsProcedures<S>): Promise<void> {
  const { viewer, operator, admin } = sessions;
  const read = await h.call<Answer<S>>("query", p.query, undefined, viewer);
  expect(read.status).toBe(200);
  expect(read.data!.settings).toEqual(p.defaults);
  expect(read.data!.audit).toEqual([]);
  const wanted = { ...read.data!.settings, [p.change.field]: p.change.to };

  expect((await h.call("mutation", p.mutation, wanted, viewer)).status).toBe(403);
  expect((await h.call("mutation", p.mutation, wanted, operator)).status).toBe(403);

  const bad = await h.call("mutation", p.mutation, { ...wanted, [p.invalid.field]: p.invalid.to }, admin);
  expect(bad.status).toBe(400);
  expect(bad.error!.data.scCode).toBe("validation_failed");
  expect(bad.error!.data.details!.rejected).toEqual([{ index: 0, path: p.invalid.field, message: p.invalid.message }]);
  expect((await h.call("mutation", p.mutation, { ...wanted, ...p.alsoInvalid }, admin)).status).toBe(400);
  expect((await getSettings(h.db))[p.key]).toBeUndefined();

  const ok = await h.call<{ changed: string[] }>("mutation", p.mutation, wanted, admin);
  expect(ok.status).toBe(200);
  expect(ok.data!.changed).toEqual([p.change.field]);
  expect((await getSettings(h.db))[p.key]).toMatchObject({ [p.change.field]: p.change.to });

  const after = await h.call<Answer<S>>("query", p.query, undefined, viewer);
  expect(after.data!.settings[p.change.field]).toBe(p.change.to);
  expect(after.data!.audit[0]!.changes).toEqual([{ field: p.change.field, old: p.defaults[p.change.field], new: p.change.to }]);
  expect(after.data!.audit[0]!.actorEmail).toMatch(/^admin-/);
  const ops = await listOperations(h.db, { limit: 5 });
  expect(ops.find((o) => o.kind === "settings.update")?.message).toBe(p.logged);
}
