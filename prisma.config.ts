// Prisma CLI configuration: migrations run in the JavaScript schema engine (the WebAssembly build
// that ships inside the `prisma` package) over the pg driver adapter, so no native engine binary is
// downloaded. Run the CLI through `node scripts/prisma.mjs`, which sets the rest of the environment.
//
// Upstream bugs of the driver-adapter path, worked around below (the first is prisma/orm#27403):
// - `CatalogTextClient`: the adapter cannot deserialize catalog column types (#27403 itself);
// - `ShadowSafePrismaPg`: the shadow database is dropped while its pool is still connected;
// - `unrefEngineTimeouts`: the WebAssembly engine leaves a 10 s timer armed after every command;
// - `dropUnusedUrlWarning`: the CLI warns that the schema's datasource `url` is unused with an
//   adapter, while its schema validation still refuses a datasource without one.
// Delete them and use `new PrismaPg({ connectionString })` once upstream fixes land.
import { randomUUID } from "node:crypto";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { defineConfig } from "prisma/config";

/**
 * Column type oids of PostgreSQL catalog types that the pg adapter cannot deserialize
 * ("Column type 'name' could not be deserialized", prisma/orm#27403): char, name, int2vector,
 * regproc, oidvector, pg_node_tree, aclitem. Their text form is all the schema engine reads.
 */
const CATALOG_OIDS = new Set([18, 19, 22, 24, 30, 194, 1033]);
const TEXT_OID = 25;

function retypeCatalogColumns<T>(result: T): T {
  for (const r of Array.isArray(result) ? (result as unknown[]) : [result]) {
    const fields = (r as { fields?: Array<{ dataTypeID: number }> } | null | undefined)?.fields;
    if (!fields) continue;
    for (const field of fields) {
      if (CATALOG_OIDS.has(field.dataTypeID)) field.dataTypeID = TEXT_OID;
    }
  }
  return result;
}

type QueryCallback = (err: Error | null, result: unknown) => void;

/**
 * prisma/orm#27403 workaround: rewrites catalog column oids to text before the adapter sees them.
 * `pg.Pool#query` calls `Client#query` with a callback while transactions use the promise form,
 * so both are covered.
 */
class CatalogTextClient extends pg.Client {
  // pg's `query` has a dozen overloads; this wrapper forwards whatever it gets unchanged.
  override query(...args: unknown[]): never {
    const last = args.length - 1;
    const callback = args[last];
    if (typeof callback === "function") {
      args[last] = (err: Error | null, result: unknown) =>
        (callback as QueryCallback)(err, err ? result : retypeCatalogColumns(result));
    }
    const out = (super.query as (...a: unknown[]) => unknown)(...args);
    return (out instanceof Promise ? out.then(retypeCatalogColumns) : out) as never;
  }
}

/**
 * Connection settings as separate fields: a `connectionString` would override the `database`
 * that the shadow database connection sets.
 */
function poolConfig(url: string, database?: string): pg.PoolConfig {
  const u = new URL(url);
  const sslmode = u.searchParams.get("sslmode");
  return {
    host: decodeURIComponent(u.hostname) || "127.0.0.1",
    port: u.port ? Number(u.port) : 5432,
    user: decodeURIComponent(u.username) || undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    database: database ?? (decodeURIComponent(u.pathname.replace(/^\//, "")) || undefined),
    ssl: sslmode === "require" || sslmode === "verify-full" ? { rejectUnauthorized: sslmode === "verify-full" } : undefined,
    Client: CatalogTextClient,
    max: 4,
    // The CLI never ends its pool; without this the process lingers until idle connections time out.
    allowExitOnIdle: true,
  };
}

async function runAdmin(url: string, sql: string): Promise<void> {
  const client = new pg.Client(poolConfig(url));
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/**
 * The upstream `connectToShadowDb` drops the shadow database while its own pool is still
 * connected ("database is being accessed by other users"). Here the pool is ended first and the
 * drop is forced.
 */
class ShadowSafePrismaPg extends PrismaPg {
  readonly #url: string;

  constructor(url: string) {
    super(poolConfig(url));
    this.#url = url;
  }

  override async connectToShadowDb(): ReturnType<PrismaPg["connectToShadowDb"]> {
    const database = `prisma_migrate_shadow_db_${randomUUID().replaceAll("-", "")}`;
    await runAdmin(this.#url, `CREATE DATABASE "${database}"`);
    const shadow = await new PrismaPg(poolConfig(this.#url, database)).connect();
    const endPool = shadow.dispose.bind(shadow);
    shadow.dispose = async () => {
      await endPool();
      await runAdmin(this.#url, `DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    };
    return shadow;
  }
}

/**
 * The WebAssembly schema engine arms a 10 s timer for its advisory-lock timeout and never clears
 * it, so every migrate command idles 10 s after it has finished. This file is loaded only by the
 * CLI process; there, long timers armed from WebAssembly are unref'd: they still fire while a
 * command runs, but no longer keep a finished process alive.
 */
function unrefEngineTimeouts(): void {
  const marker = Symbol.for("shardcast.prisma.unrefEngineTimeouts");
  const g = globalThis as typeof globalThis & { [marker]?: true };
  if (g[marker]) return;
  g[marker] = true;
  const original = globalThis.setTimeout;
  const patched = function (this: unknown, ...args: Parameters<typeof setTimeout>) {
    const timer = original.apply(this, args);
    const ms = Number(args[1] ?? 0);
    if (ms >= 5_000 && new Error().stack?.includes("wasm://")) timer.unref();
    return timer;
  };
  globalThis.setTimeout = Object.assign<typeof patched, typeof setTimeout>(patched, original);
}
unrefEngineTimeouts();

const UNUSED_URL_WARNING = "WARNING: Your schema specifies the following datasource properties but you are using a Driver Adapter via prisma.config.ts:";

/**
 * Every command that reaches the database (`migrate deploy` at each start, `migrate diff` in
 * `new-migration`) prints a warning that the schema's `url` is unused and should be removed, but
 * Prisma 6.19 fails validation without it ("Argument \"url\" is missing", the `driverAdapters`
 * preview feature that lifted that is deprecated and no longer does). The warning goes to stdout,
 * so it also lands in the SQL that `migrate diff --script` prints. Only that one message, and only
 * while `url` is the sole property it names, is dropped: a `directUrl` or `shadowDatabaseUrl` added
 * to the schema would really be ignored and is still reported.
 */
function dropUnusedUrlWarning(): void {
  const marker = Symbol.for("shardcast.prisma.dropUnusedUrlWarning");
  const g = globalThis as typeof globalThis & { [marker]?: true };
  if (g[marker]) return;
  g[marker] = true;
  const stdout = process.stdout;
  // Called with the stream as `this` below, as the stream itself would call it.
  const original = stdout.write as (this: typeof stdout, ...a: unknown[]) => boolean; // eslint-disable-line @typescript-eslint/unbound-method
  const onlyUrl = (text: string) => {
    const at = text.indexOf(UNUSED_URL_WARNING);
    if (at < 0) return false;
    const listed = text.slice(at + UNUSED_URL_WARNING.length).match(/^\n(?:- \w+\n)+/)?.[0] ?? "";
    return listed.trim() === "- url";
  };
  stdout.write = function (this: typeof stdout, chunk: unknown, ...rest: unknown[]) {
    if (typeof chunk === "string" && onlyUrl(chunk)) {
      // The caller may wait for its callback (the last argument, as for the original write).
      const callback = rest.at(-1);
      if (typeof callback === "function") queueMicrotask(() => (callback as (err?: Error | null) => void)());
      return true;
    }
    return original.call(this, chunk, ...rest);
  };
}
dropUnusedUrlWarning();

export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  adapter() {
    const url = process.env.DATABASE_URL;
    if (!url) return Promise.reject(new Error("DATABASE_URL is not set: point it at the control database (postgres://...)"));
    return Promise.resolve(new ShadowSafePrismaPg(url));
  },
});
