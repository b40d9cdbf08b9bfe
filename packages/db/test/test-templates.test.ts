import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { applyHostSchema } from "../src/host/schema.ts";
import { createTestControlDb, createTestHostDb } from "../src/testing.ts";
import { createFromTemplate, findOrBuildTemplate, templateName, urlFor, withAdmin, type TemplateRecipe } from "../src/test-templates.ts";

async function onDb<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Everything a migration can leave in the public schema, in a comparable form. */
async function schemaOf(url: string, ledger: string): Promise<unknown[]> {
  return onDb(url, async (c) => {
    const queries = [
      `SELECT table_name, column_name, data_type, udt_name, is_nullable, column_default
         FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`,
      "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1",
      "SELECT conrelid::regclass::text AS rel, conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2",
      "SELECT tgname, pg_get_triggerdef(oid) AS def FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1",
      "SELECT proname, prosrc FROM pg_proc WHERE pronamespace = 'public'::regnamespace ORDER BY 1, 2",
      "SELECT t.typname, e.enumlabel FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid ORDER BY 1, e.enumsortorder",
      "SELECT viewname, definition FROM pg_views WHERE schemaname = 'public' ORDER BY 1",
      ledger,
    ];
    const out: unknown[] = [];
    // Time partitions of sc_events are named by the seconds they hold: made when each database was.
    const timePartition = /\bsc_events_p\d+_\d+/;
    for (const q of queries) out.push((await c.query(q)).rows.filter((r: Record<string, unknown>) => !Object.values(r).some((v) => typeof v === "string" && timePartition.test(v))));
    return out;
  });
}

async function databasesLike(prefix: string): Promise<string[]> {
  const res = await withAdmin((c) => c.query<{ datname: string }>("SELECT datname FROM pg_database WHERE starts_with(datname, $1) ORDER BY 1", [prefix]));
  return res.rows.map((r) => r.datname);
}

describe("migrated template databases", () => {
  const drops: Array<() => Promise<void>> = [];
  afterAll(async () => {
    for (const drop of drops.splice(0)) await drop().catch(() => undefined);
    await withAdmin(async (c) => {
      for (const name of [...(await databasesLike("sc_template_selftest_")), ...(await databasesLike("sc_building_selftest_"))]) {
        await c.query(`ALTER DATABASE "${name}" IS_TEMPLATE false`);
        await c.query(`DROP DATABASE "${name}" WITH (FORCE)`);
      }
    });
  });

  it("give a control database identical to one run through prisma migrate deploy", async () => {
    const [copied, migrated] = await Promise.all([createTestControlDb(), createTestControlDb({ template: false })]);
    drops.push(copied.drop, migrated.drop);
    const ledger = "SELECT migration_name, checksum, finished_at IS NOT NULL AS finished, rolled_back_at FROM _prisma_migrations ORDER BY 1";
    expect(await schemaOf(copied.url, ledger)).toEqual(await schemaOf(migrated.url, ledger));
  });

  it("give a host database identical to one run through applyHostSchema", async () => {
    const [copied, empty] = await Promise.all([createTestHostDb(), createTestHostDb({ schema: false })]);
    drops.push(copied.drop, empty.drop);
    await applyHostSchema(empty.dsn);
    const ledger = "SELECT id, name, checksum, baseline FROM sc_host_migrations ORDER BY id";
    expect(await schemaOf(copied.dsn, ledger)).toEqual(await schemaOf(empty.dsn, ledger));
  });

  /** A recipe of a throwaway kind: one table holding its own hash. */
  function recipe(builds: string[], fail = false): TemplateRecipe {
    const hash = randomBytes(6).toString("hex");
    return {
      kind: "selftest",
      hash,
      build: async (url) => {
        builds.push(hash);
        if (fail) throw new Error("the build failed");
        await onDb(url, (c) => c.query(`CREATE TABLE made_by AS SELECT '${hash}'::text AS hash`));
      },
    };
  }

  it("is built once by racing processes, closed to connections, and copied with its content", async () => {
    const builds: string[] = [];
    const r = recipe(builds);
    // A builder that died left its temporary database behind.
    await withAdmin((c) => c.query(`CREATE DATABASE "${templateName(r).replace("sc_template_", "sc_building_")}"`));
    const names = await Promise.all(Array.from({ length: 4 }, () => findOrBuildTemplate(r)));
    expect(new Set(names)).toEqual(new Set([templateName(r)]));
    expect(builds).toEqual([r.hash]);
    expect(await databasesLike("sc_building_selftest_")).toEqual([]);
    const flags = await withAdmin((c) => c.query("SELECT datistemplate, datallowconn FROM pg_database WHERE datname = $1", [templateName(r)]));
    expect(flags.rows).toEqual([{ datistemplate: true, datallowconn: false }]);

    const copy = `sc_test_selftest_${randomBytes(4).toString("hex")}`;
    drops.push(() => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${copy}" WITH (FORCE)`)).then(() => undefined));
    await createFromTemplate(r, copy);
    expect((await onDb(urlFor(copy), (c) => c.query("SELECT hash FROM made_by"))).rows).toEqual([{ hash: r.hash }]);
  });

  it("replaces the templates of other hashes, keeps them when a build fails, and rebuilds a dropped one", async () => {
    const builds: string[] = [];
    const first = recipe(builds);
    const second = recipe(builds);
    await findOrBuildTemplate(first);
    await expect(findOrBuildTemplate(recipe(builds, true))).rejects.toThrow(/the build failed/);
    expect(await databasesLike("sc_template_selftest_")).toContain(templateName(first));
    expect(await databasesLike("sc_building_selftest_")).toEqual([]);

    await findOrBuildTemplate(second);
    expect(await databasesLike("sc_template_selftest_")).toEqual([templateName(second)]);

    // Found once, then dropped (as a newer checkout on the same server would): the next copy builds it again.
    const copies = [`sc_test_selftest_${randomBytes(4).toString("hex")}`, `sc_test_selftest_${randomBytes(4).toString("hex")}`];
    for (const copy of copies) drops.push(() => withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${copy}" WITH (FORCE)`)).then(() => undefined));
    await createFromTemplate(second, copies[0]!);
    await withAdmin(async (c) => {
      await c.query(`ALTER DATABASE "${templateName(second)}" IS_TEMPLATE false`);
      await c.query(`DROP DATABASE "${templateName(second)}"`);
    });
    await createFromTemplate(second, copies[1]!);
    expect(builds.filter((h) => h === second.hash)).toHaveLength(2);
  });
});
