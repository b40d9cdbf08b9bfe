import { createHash } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import pg from "pg";
import { pollUntil } from "@shardcast/core";
import { pgAdminUrl } from "./env.ts";
import { applyHostSchema, HOST_MIGRATIONS } from "./host/schema.ts";
import { applyControlMigrations, repoRoot } from "./migrate.ts";

/**
 * Migrated template databases for the test helpers (testing.ts). A test's fresh control or host
 * database is a `CREATE DATABASE ... TEMPLATE` copy made by the server, instead of a migration run
 * per test (seconds for the control plane, whose migrations run in a Prisma CLI child process).
 *
 * A template is named by a short hash of what built it, so a changed or added migration makes a new
 * one and a stale one is never copied. The first process that needs a template builds it under an
 * advisory lock, into a temporary name that becomes the template's only once the build is complete
 * and the database is closed to connections: a copy never sees a half-built template, and no
 * session can sit on the template to make a copy fail.
 */

export interface TemplateRecipe {
  /** Which template this is ([a-z]+): templates of one kind replace each other. */
  kind: string;
  /** A short hash of everything the build depends on. */
  hash: string;
  /** Brings the empty database at `url` to the template's content, closing its connections after. */
  build: (url: string) => Promise<void>;
}

/** Another process builds the same template meanwhile: a control build takes seconds on a busy machine. */
const BUILD_WAIT_MS = 180_000;
/** A session on the source or the renamed database ends within moments of being told to. */
const BUSY_WAIT_MS = 15_000;
/** First key of the two-int advisory locks on template names (on the admin connection's database). */
const LOCK_CLASS = 0x5c_7e;

export function urlFor(database: string): string {
  const url = new URL(pgAdminUrl());
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withAdmin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: pgAdminUrl(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function shortHash(parts: readonly string[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(p).update("\0");
  return h.digest("hex").slice(0, 12);
}

/** The name a recipe's finished template has; the build runs under `sc_building_...`. */
export function templateName(recipe: Pick<TemplateRecipe, "kind" | "hash">): string {
  if (!/^[a-z]+$/.test(recipe.kind) || !/^[0-9a-f]+$/.test(recipe.hash)) throw new Error(`bad template recipe ${recipe.kind}/${recipe.hash}`);
  return `sc_template_${recipe.kind}_${recipe.hash}`;
}

function buildingName(template: string): string {
  return template.replace(/^sc_template_/, "sc_building_");
}

function quoted(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

function pgCode(err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code;
}

/**
 * Runs `op`, retrying while PostgreSQL answers that a database is in use (55006): a session that
 * has just disconnected can still be ending on the server.
 */
async function whileBusy(what: string, op: () => Promise<unknown>): Promise<void> {
  let last: unknown = null;
  await pollUntil(
    what,
    async () => {
      try {
        await op();
        return true;
      } catch (err) {
        if (pgCode(err) !== "55006") throw err;
        last = err;
        return false;
      }
    },
    BUSY_WAIT_MS,
    { intervalMs: 100, explain: () => (last instanceof Error ? last.message : "the database stayed in use") },
  );
}

function lockKey(template: string): number {
  return Number.parseInt(createHash("sha256").update(template).digest("hex").slice(0, 8), 16) | 0;
}

async function tryLock(c: pg.ClientBase, template: string): Promise<boolean> {
  const res = await c.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1::int, $2::int) AS ok", [LOCK_CLASS, lockKey(template)]);
  return res.rows[0]?.ok === true;
}

async function unlock(c: pg.ClientBase, template: string): Promise<void> {
  await c.query("SELECT pg_advisory_unlock($1::int, $2::int)", [LOCK_CLASS, lockKey(template)]).catch(() => undefined);
}

async function usable(c: pg.ClientBase, template: string): Promise<boolean> {
  const res = await c.query<{ ok: boolean }>("SELECT datistemplate AND NOT datallowconn AS ok FROM pg_database WHERE datname = $1", [template]);
  return res.rows[0]?.ok === true;
}

/** A template cannot be dropped as one; nobody can be connected to it, so FORCE only ends a builder's leftovers. */
async function dropDatabase(c: pg.ClientBase, name: string): Promise<void> {
  const found = await c.query("SELECT 1 FROM pg_database WHERE datname = $1", [name]);
  if (found.rowCount === 0) return;
  await c.query(`ALTER DATABASE ${quoted(name)} IS_TEMPLATE false`);
  await c.query(`DROP DATABASE IF EXISTS ${quoted(name)} WITH (FORCE)`);
}

/** Called with the template's lock held. */
async function build(c: pg.ClientBase, recipe: TemplateRecipe, template: string): Promise<void> {
  const building = buildingName(template);
  // Left by a builder that died: the lock we hold says nobody is building it now.
  await dropDatabase(c, building);
  await c.query(`CREATE DATABASE ${quoted(building)}`);
  try {
    await recipe.build(urlFor(building));
    await c.query(`ALTER DATABASE ${quoted(building)} WITH ALLOW_CONNECTIONS false IS_TEMPLATE true`);
    // The builder's sessions end asynchronously on the server after it disconnects.
    await c.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", [building]);
    await whileBusy(`the sessions on ${building} to end`, () => c.query(`ALTER DATABASE ${quoted(building)} RENAME TO ${quoted(template)}`));
  } catch (err) {
    await dropDatabase(c, building).catch(() => undefined);
    throw err;
  }
}

/**
 * Keeps the server tidy: drops this kind's templates of other hashes and abandoned builds. A build
 * in progress holds its lock and is skipped. A process of another checkout still copying a dropped
 * template finishes that copy (the drop waits for it); its next copy finds the template gone and
 * builds it again (see `createFromTemplate`).
 */
async function dropStale(c: pg.ClientBase, kind: string, keep: string): Promise<void> {
  const res = await c.query<{ datname: string }>(
    "SELECT datname FROM pg_database WHERE (starts_with(datname, $1) OR starts_with(datname, $2)) AND datname <> $3",
    [`sc_template_${kind}_`, `sc_building_${kind}_`, keep],
  );
  for (const { datname } of res.rows) {
    const template = datname.replace(/^sc_building_/, "sc_template_");
    if (!(await tryLock(c, template))) continue;
    try {
      await dropDatabase(c, datname);
    } catch {
      // Best effort: a leftover costs disk space, not correctness.
    } finally {
      await unlock(c, template);
    }
  }
}

/**
 * Returns the name of the recipe's template, building it first when the server has none. Safe to
 * call from many processes at once: one builds, the others wait for its lock and then find it.
 */
export async function findOrBuildTemplate(recipe: TemplateRecipe): Promise<string> {
  const template = templateName(recipe);
  return withAdmin(async (c) => {
    if (await usable(c, template)) return template;
    // Polled rather than a blocking pg_advisory_lock, so a hung builder ends in an error naming it.
    await pollUntil(`the build of ${template} by another process`, () => tryLock(c, template), BUILD_WAIT_MS, { intervalMs: 100 });
    let built = false;
    try {
      if (!(await usable(c, template))) {
        // A database of this name that is no finished template was not made by `build`: replace it.
        await dropDatabase(c, template);
        await build(c, recipe, template);
        built = true;
      }
    } finally {
      await unlock(c, template);
    }
    if (built) await dropStale(c, recipe.kind, template);
    return template;
  });
}

/** Per process: one check (or build) per template, shared by every test of a file. */
const known = new Map<string, Promise<string>>();

function ensureTemplate(recipe: TemplateRecipe): Promise<string> {
  const template = templateName(recipe);
  let found = known.get(template);
  if (!found) {
    found = findOrBuildTemplate(recipe);
    known.set(template, found);
    found.catch(() => known.delete(template));
  }
  return found;
}

/** Creates the database `database` as a copy of the recipe's template (building that first if need be). */
export async function createFromTemplate(recipe: TemplateRecipe, database: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const template = await ensureTemplate(recipe);
    try {
      await withAdmin((c) => whileBusy(`copying ${template}`, () => c.query(`CREATE DATABASE ${quoted(database)} TEMPLATE ${quoted(template)}`)));
      return;
    } catch (err) {
      // 3D000: dropped since it was found, as stale by a process of a newer checkout on this server.
      if (pgCode(err) !== "3D000" || attempt >= 3) throw err;
      known.delete(template);
    }
  }
}

/** Paths relative to `dir`, with `/`, sorted: the same list on every machine. */
async function filesUnder(dir: string, prefix = ""): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await filesUnder(dir, rel)));
    else if (e.isFile()) out.push(rel);
  }
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

let controlRecipe: Promise<TemplateRecipe> | null = null;

/** The control-plane template: every file of prisma/migrations (names and contents, in order). */
export function controlTemplate(): Promise<TemplateRecipe> {
  controlRecipe ??= (async () => {
    const dir = join(repoRoot(), "prisma", "migrations");
    const parts: string[] = [];
    for (const file of await filesUnder(dir)) parts.push(file, await readFile(join(dir, file), "utf8"));
    return { kind: "control", hash: shortHash(parts), build: (url: string) => applyControlMigrations(url) };
  })();
  return controlRecipe;
}

/** The storage-host template: the host migrations by number, name and checksum. */
export const hostTemplate: TemplateRecipe = {
  kind: "host",
  hash: shortHash(HOST_MIGRATIONS.map((m) => `${m.id}:${m.name}:${m.checksum}`)),
  build: async (url) => {
    await applyHostSchema(url);
  },
};
