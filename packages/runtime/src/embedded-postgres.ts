import { randomBytes, createHash } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import { chown, chmod, mkdir, readFile, writeFile, access, rm } from "node:fs/promises";
import path from "node:path";
import pg from "pg";
import { pollUntil } from "@shardcast/core";
import type { Logger } from "./logger.ts";
import { canEnter, createPostgresAccount, isRoot, postgresAccount, type RunAs } from "./embedded-postgres/access.ts";
import { copyBinaries, fromNativeDir, locateBinaries, type Binaries } from "./embedded-postgres/binaries.ts";

export interface EmbeddedPostgresHandle {
  /** Connection URL of the server's `postgres` database, for creating other databases. */
  adminUrl: string;
  urlFor(database: string): string;
  ensureDatabase(database: string): Promise<void>;
  /** Where the server keeps its data (differs from `<dataDir>/postgres/data` when relocated). */
  databaseDir: string;
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  /** The project's data folder; the server's files go to `<dataDir>/postgres`. */
  dataDir: string;
  port: number;
  log: Logger;
  /**
   * Started by root from a folder the `postgres` account cannot enter, the binaries and the data
   * go here instead (default `/var/lib/shardcast`); it must be enterable by that account.
   */
  runtimeDir?: string;
  /** The PostgreSQL binaries (`bin/`, `lib/`, `share/`); default: the ones npm installed. */
  nativeDir?: string;
}

export const DEFAULT_RUNTIME_DIR = "/var/lib/shardcast";

async function exists(p: string): Promise<boolean> {
  try {
    await access(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts (initialising on first use) a PostgreSQL server from the binaries of the
 * `embedded-postgres` package, keeping its data under `dataDir`. The server password is generated
 * once and kept in a 0600 file beside the data, never logged.
 *
 * The server is spawned here rather than through the package's own runner because that runner
 * can only use the binaries where npm put them: started by root, PostgreSQL runs as the
 * `postgres` account, which cannot enter a checkout inside a mode-700 home directory or a
 * `mktemp -d` folder. Then the binaries are copied to, and the data kept in, `runtimeDir`.
 */
export async function startEmbeddedPostgres(opts: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const root = path.resolve(opts.dataDir, "postgres");
  await mkdir(root, { recursive: true });
  const passwordFile = path.join(root, "password");
  const runtimeDir = opts.runtimeDir ?? DEFAULT_RUNTIME_DIR;

  let binaries: Binaries = opts.nativeDir ? await fromNativeDir(opts.nativeDir) : await locateBinaries();
  let runAs: RunAs | null = null;
  let databaseDir = path.join(root, "data");
  if (isRoot()) {
    runAs = postgresAccount() ?? createPostgresAccount();
    const binOk = canEnter(binaries.nativeDir, runAs);
    const dataOk = canEnter(root, runAs);
    if (!binOk || !dataOk) {
      if (!canEnter(runtimeDir, runAs)) {
        throw new Error(
          `embedded PostgreSQL runs as the "postgres" account when started by root, and that account can enter neither ` +
            `${binOk ? root : binaries.nativeDir} nor ${runtimeDir}: start Shardcast as an ordinary user, clone it into a folder ` +
            `other users can enter, set SHARDCAST_PG_RUNTIME_DIR to such a folder, or set DATABASE_URL to a PostgreSQL server`,
        );
      }
      if (!binOk) {
        opts.log.info("the postgres account cannot reach the installed binaries: using a copy", { dir: runtimeDir });
        binaries = await copyBinaries(binaries, runtimeDir);
      }
      if (!dataOk) {
        // One data folder per project data folder, so two checkouts never share a server's files.
        const id = createHash("sha256").update(root).digest("hex").slice(0, 16);
        databaseDir = path.join(runtimeDir, `data-${id}`);
        await writeFile(path.join(root, "LOCATION"), `${databaseDir}\n`);
        opts.log.info("the postgres account cannot reach the data folder: keeping the server's data elsewhere", { dir: databaseDir });
      }
    }
  }

  const relocated = path.dirname(databaseDir) !== root;
  if (runAs && relocated) {
    // A relocated data folder's parent is shared: only the server's own folder is handed over.
    await mkdir(databaseDir, { recursive: true, mode: 0o700 });
    await chown(databaseDir, runAs.uid, runAs.gid);
  } else if (runAs) {
    // initdb creates `data` itself, so its parent must belong to the server's account.
    await chown(root, runAs.uid, runAs.gid);
    await chmod(root, 0o755);
  }

  const initialised = await exists(path.join(databaseDir, "PG_VERSION"));
  if (initialised) await stopLeftover(databaseDir, opts.log);
  let password: string;
  if (initialised && (await exists(passwordFile))) {
    password = (await readFile(passwordFile, "utf8")).trim();
  } else {
    password = randomBytes(18).toString("base64url");
  }
  if (!initialised) {
    opts.log.info("initialising embedded PostgreSQL (first start only)", { dir: databaseDir });
    await initdb(binaries, databaseDir, password, runAs);
    await writeFile(passwordFile, password + "\n", { mode: 0o600 });
  }
  const child = await startServer(binaries, databaseDir, opts.port, runAs, opts.log);
  const urlFor = (database: string) =>
    `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${opts.port}/${encodeURIComponent(database)}`;
  return {
    adminUrl: urlFor("postgres"),
    urlFor,
    ensureDatabase: (database) => ensureDatabase(urlFor("postgres"), database),
    databaseDir,
    stop: () => stopServer(child),
  };
}

function run(file: string, args: string[], runAs: RunAs | null, ownGroup = false): ChildProcess {
  return spawn(file, args, {
    ...(runAs ?? {}),
    stdio: ["ignore", "pipe", "pipe"],
    // The server gets its own process group: a Ctrl-C in the terminal reaches the services, which
    // stop first, and the owner stops the server after them instead of under them.
    detached: ownGroup,
  });
}

async function initdb(bin: Binaries, databaseDir: string, password: string, runAs: RunAs | null): Promise<void> {
  // The password file must be readable by the server's account: beside its data, removed after.
  const pwfile = path.join(path.dirname(databaseDir), `.pwfile-${process.pid}-${randomBytes(4).toString("hex")}`);
  await writeFile(pwfile, password + "\n", { mode: 0o600 });
  if (runAs) await chown(pwfile, runAs.uid, runAs.gid);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = run(
        bin.initdb,
        [`--pgdata=${databaseDir}`, "--auth=scram-sha-256", "--username=postgres", `--pwfile=${pwfile}`, "--encoding=UTF8", "--no-locale"],
        runAs,
      );
      let output = "";
      child.stdout?.on("data", (c: Buffer) => (output += c.toString()));
      child.stderr?.on("data", (c: Buffer) => (output += c.toString()));
      child.once("error", (err) => reject(new Error(`cannot run initdb: ${err.message}`)));
      child.once("close", (code) =>
        code === 0 ? resolve() : reject(new Error(`initdb failed (exit ${code}): ${output.trim().split("\n").slice(-5).join(" | ")}`)),
      );
    });
  } finally {
    await rm(pwfile, { force: true });
  }
}

async function startServer(bin: Binaries, databaseDir: string, port: number, runAs: RunAs | null, log: Logger): Promise<ChildProcess> {
  const child = run(
    bin.postgres,
    [
      "-D",
      databaseDir,
      "-p",
      String(port),
      "-c",
      "listen_addresses=127.0.0.1",
      // TCP only: no socket file in a shared folder to collide with another server on this port.
      "-c",
      "unix_socket_directories=",
      "-c",
      "max_connections=300",
      // Messages in English whatever the machine's locale: the start waits on one of them.
      "-c",
      "lc_messages=C",
    ],
    runAs,
    true,
  );
  let tail = "";
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-2000);
      log.debug("postgres", { line: text.trim() });
      if (text.includes("database system is ready to accept connections")) resolve();
    };
    child.stderr?.on("data", onData);
    child.stdout?.on("data", onData);
    child.once("error", (err) => reject(new Error(`cannot run postgres: ${err.message}`)));
    child.once("exit", (code) => {
      if (/could not create any TCP\/IP sockets|Address already in use/.test(tail)) {
        reject(new Error(`embedded PostgreSQL cannot listen on 127.0.0.1:${port}: another program uses that port (choose another with SHARDCAST_PG_PORT)`));
        return;
      }
      const lines = tail.trim().split("\n").filter((l) => /FATAL|ERROR|PANIC/.test(l));
      reject(new Error(`embedded PostgreSQL exited during start (exit ${code}): ${(lines.length ? lines : tail.trim().split("\n")).slice(-3).join(" | ")}`));
    });
  });
  return child;
}

/**
 * The server runs in its own process group, so a starter killed outright (SIGKILL, a crash) leaves
 * it running on this data folder, and the next start would fail on its lock file. A server whose
 * `postmaster.pid` names a live postgres process on this folder is that leftover: stop it first.
 */
async function stopLeftover(databaseDir: string, log: Logger): Promise<void> {
  let pid: number;
  try {
    pid = Number((await readFile(path.join(databaseDir, "postmaster.pid"), "utf8")).split("\n")[0]);
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1) return;
  let cmdline: string;
  try {
    cmdline = (await readFile(`/proc/${pid}/cmdline`, "utf8")).split("\0").join(" ");
  } catch {
    return; // not running (PostgreSQL removes a stale lock file itself), or no /proc to ask
  }
  if (!cmdline.includes("postgres") || !cmdline.includes(databaseDir)) return;
  log.info("stopping the embedded PostgreSQL an earlier start left running", { pid });
  try {
    process.kill(pid, "SIGINT");
  } catch {
    return;
  }
  await pollUntil(`the leftover PostgreSQL (pid ${pid}) to stop`, () => !processExists(pid), 30_000, {
    intervalMs: 100,
    explain: () => `an embedded PostgreSQL (pid ${pid}) still runs on ${databaseDir} and did not stop: stop it, then start again`,
  });
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  // SIGINT is PostgreSQL's "fast" shutdown: sessions are ended, the data is consistent.
  child.kill("SIGINT");
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  await exited;
  clearTimeout(timer);
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
