import { randomBytes } from "node:crypto";
import pg from "pg";
import { createControlDb, type ControlDb } from "./client.ts";
import { pgAdminUrl } from "./env.ts";
import { applyHostSchema } from "./host/schema.ts";
import { applyControlMigrations } from "./migrate.ts";

/** Test helpers: scratch databases on the server named by PG_ADMIN_URL, dropped by `drop()`. */

function scratchName(kind: string): string {
  return `sc_test_${kind}_${randomBytes(6).toString("hex")}`;
}

function urlFor(database: string): string {
  const url = new URL(pgAdminUrl());
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: pgAdminUrl(), connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export async function createScratchDatabase(kind = "db"): Promise<{ name: string; url: string; drop: () => Promise<void> }> {
  const name = scratchName(kind);
  await admin((c) => c.query(`CREATE DATABASE "${name}"`));
  return {
    name,
    url: urlFor(name),
    drop: () => admin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined),
  };
}

/** A fresh control database with every migration applied. */
export async function createTestControlDb(): Promise<{ url: string; db: ControlDb; drop: () => Promise<void> }> {
  const scratch = await createScratchDatabase("control");
  try {
    await applyControlMigrations(scratch.url);
  } catch (err) {
    await scratch.drop();
    throw err;
  }
  const db = createControlDb(scratch.url, { poolSize: 5 });
  return {
    url: scratch.url,
    db,
    drop: async () => {
      await db.$disconnect();
      await scratch.drop();
    },
  };
}

/** A fresh host database; with the host schema applied unless `schema: false`. */
export async function createTestHostDb(opts: { schema?: boolean } = {}): Promise<{ dsn: string; drop: () => Promise<void> }> {
  const scratch = await createScratchDatabase("host");
  if (opts.schema !== false) {
    try {
      await applyHostSchema(scratch.url);
    } catch (err) {
      await scratch.drop();
      throw err;
    }
  }
  return { dsn: scratch.url, drop: scratch.drop };
}
