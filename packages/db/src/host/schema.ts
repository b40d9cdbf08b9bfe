import { createHash } from "node:crypto";
import type pg from "pg";
import { pollUntil, redactDsn, ShardcastError } from "@shardcast/core";
import { HOST_MIGRATION_FILES } from "../generated/host-migrations.ts";
import { safeMessage } from "../safe-message.ts";
import { openHostClient } from "./connect.ts";
import { partitionEventsStep } from "./partition-events-migration.ts";

/**
 * The storage-host schema is the ordered SQL files in packages/db/host-migrations (embedded at
 * generate time, see scripts/host-migrations.mjs). Each host records the files applied to it in
 * `sc_host_migrations`; see that folder's README for the rules of a new file.
 *
 * A shardlet's events on its host are the stream's rows whose `key_hash` lies in the shardlet's
 * range, not the rows labelled with its id: `sc_events.shardlet_id` records the shardlet that
 * accepted the write (for display and tracing) and is never rewritten. That is what makes a split
 * or merge on one host a metadata change (see `sc_events_hash`).
 */
export interface HostMigration {
  /** The file's number: files apply in this order, starting at 1 without gaps. */
  id: number;
  name: string;
  sql: string;
  /** SHA-256 of the file: a released file must not change. */
  checksum: string;
  /** False for files starting `-- shardcast:no-transaction` (CREATE/DROP INDEX CONCURRENTLY). */
  transaction: boolean;
  /**
   * A code step the file names on a line `-- shardcast:step <name>` (no-transaction files only),
   * run after its statements: what SQL statements run one by one cannot express (retried locks,
   * steps that must check the host's state to be repeatable). Like the statements, it must be
   * repeatable.
   */
  step: string | null;
}

const NO_TRANSACTION = /^--\s*shardcast:no-transaction\s*$/m;
const STEP = /^--\s*shardcast:step\s+([a-z0-9-]+)\s*$/m;

/** The code steps host migration files may name. */
const STEPS: Record<string, (client: pg.ClientBase, log: (line: string) => void) => Promise<void>> = {
  "partition-events": partitionEventsStep,
};

function parseMigrations(): HostMigration[] {
  const out = HOST_MIGRATION_FILES.map((f): HostMigration => {
    const m = /^(\d{4})_([a-z0-9_]+)\.sql$/.exec(f.file);
    if (!m) throw new Error(`host migration ${f.file}: the name must be NNNN_name.sql`);
    const firstLine = f.sql.split("\n", 1)[0] ?? "";
    const transaction = !NO_TRANSACTION.test(firstLine);
    const step = STEP.exec(f.sql)?.[1] ?? null;
    if (step !== null && (transaction || !STEPS[step])) throw new Error(`host migration ${f.file}: step "${step}" is unknown or its file is not a no-transaction file`);
    return {
      id: Number(m[1]),
      name: m[2] ?? f.file,
      sql: f.sql,
      checksum: createHash("sha256").update(f.sql).digest("hex"),
      transaction,
      step,
    };
  }).sort((a, b) => a.id - b.id);
  out.forEach((m, i) => {
    if (m.id !== i + 1) throw new Error(`host migrations must be numbered 1, 2, 3, ... without gaps (found ${String(m.id).padStart(4, "0")}_${m.name})`);
  });
  return out;
}

export const HOST_MIGRATIONS: readonly HostMigration[] = parseMigrations();

/** The number of the newest host migration: the schema version a migrated host is at. */
export const HOST_SCHEMA_VERSION = HOST_MIGRATIONS.at(-1)?.id ?? 0;

/** Every migration's SQL in order, for reading; hosts are changed only by `applyHostSchema*`. */
export const HOST_SCHEMA_SQL = HOST_MIGRATIONS.map((m) => m.sql).join("\n");

const LEDGER_SQL = `
CREATE TABLE IF NOT EXISTS sc_host_migrations (
  id         int PRIMARY KEY,
  name       text NOT NULL,
  checksum   text NOT NULL,
  -- Recorded from the legacy sc_schema version of a host made before numbered migrations, not run.
  baseline   boolean NOT NULL DEFAULT false,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

/** Serialises schema runs on one database (two workers starting at once). */
const SCHEMA_LOCK_KEY = 0x5c_0001;

export interface ApplyHostSchemaOptions {
  /** Give up connecting after this long (default 5 s). */
  connectTimeoutMs?: number;
  /** Give up waiting for another process's run on the same host after this long (default 30 min). */
  lockTimeoutMs?: number;
  /** Told about each file applied or baselined. */
  log?: (line: string) => void;
  /** Apply the files up to this number only: a host as an older release left it (tests of an upgrade). */
  upTo?: number;
}

/**
 * Waits for the schema lock by polling, not with a blocking pg_advisory_lock: a session blocked in
 * that call holds a snapshot, and CREATE INDEX CONCURRENTLY in the lock holder waits for every
 * older snapshot to end, so a blocking waiter and the holder would wait for each other.
 */
async function acquireLock(client: pg.ClientBase, timeoutMs: number): Promise<void> {
  await pollUntil(
    "the host's schema lock",
    async () => (await client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1) AS ok", [SCHEMA_LOCK_KEY])).rows[0]?.ok,
    timeoutMs,
    { intervalMs: 250, explain: () => `another process has been migrating this host for over ${Math.round(timeoutMs / 1000)} s` },
  );
}

async function inTransaction<T>(client: pg.ClientBase, fn: () => Promise<T>): Promise<T> {
  await client.query("BEGIN");
  try {
    const out = await fn();
    await client.query("COMMIT");
    return out;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}

/**
 * A host made before numbered migrations has `sc_schema` with the version the old in-code schema
 * brought it to; migrations 1..version are that schema, so they are recorded without running.
 */
async function baseline(client: pg.ClientBase, log: (line: string) => void): Promise<void> {
  const legacy = await client.query<{ present: boolean }>("SELECT to_regclass('sc_schema') IS NOT NULL AS present");
  if (!legacy.rows[0]?.present) return;
  const res = await client.query<{ version: number | null }>("SELECT max(version) AS version FROM sc_schema");
  const version = res.rows[0]?.version ?? 0;
  const covered = HOST_MIGRATIONS.filter((m) => m.id <= version);
  if (covered.length === 0) return;
  await inTransaction(client, async () => {
    for (const m of covered) {
      await client.query("INSERT INTO sc_host_migrations (id, name, checksum, baseline) VALUES ($1, $2, $3, true) ON CONFLICT (id) DO NOTHING", [
        m.id,
        m.name,
        m.checksum,
      ]);
    }
  });
  log(`host schema version ${version} found: recorded migrations 1-${covered.at(-1)?.id ?? 0} as applied`);
}

/** Statements of a no-transaction file: each ends with `;` at the end of a line. */
function statements(sql: string): string[] {
  return sql
    .split(/;[ \t]*(?:\r?\n|$)/)
    .map((s) => s.replace(/^\s*--.*$/gm, "").trim())
    .filter((s) => s.length > 0);
}

const CONCURRENT_INDEX = /^CREATE\s+(?:UNIQUE\s+)?INDEX\s+CONCURRENTLY\s+IF\s+NOT\s+EXISTS\s+("?)([A-Za-z0-9_]+)\1/i;

/**
 * A CREATE INDEX CONCURRENTLY that stopped (a crash, a lost connection) leaves an invalid index
 * that IF NOT EXISTS would then keep for good; drop it so the statement builds it again.
 */
async function dropInvalidIndex(client: pg.ClientBase, statement: string): Promise<void> {
  const name = CONCURRENT_INDEX.exec(statement)?.[2];
  if (!name) return;
  const res = await client.query<{ valid: boolean }>(
    `SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
      WHERE c.relname = $1 AND c.relnamespace = current_schema()::regnamespace`,
    [name],
  );
  if (res.rows[0] && !res.rows[0].valid) await client.query(`DROP INDEX CONCURRENTLY IF EXISTS "${name}"`);
}

async function applyOne(client: pg.ClientBase, m: HostMigration, log: (line: string) => void): Promise<void> {
  const record = () =>
    client.query("INSERT INTO sc_host_migrations (id, name, checksum) VALUES ($1, $2, $3)", [m.id, m.name, m.checksum]);
  if (m.transaction) {
    await inTransaction(client, async () => {
      await client.query(m.sql);
      await record();
    });
    return;
  }
  for (const statement of statements(m.sql)) {
    await dropInvalidIndex(client, statement);
    await client.query(statement);
  }
  if (m.step) await STEPS[m.step]!(client, (line) => log(`host migration ${String(m.id).padStart(4, "0")}_${m.name}: ${line}`));
  await record();
}

/**
 * Applies the host migrations that are not recorded on the host yet, in order, on an open client
 * (outside any transaction: no-transaction files need that). Returns the host's schema version.
 */
export async function applyHostSchemaWith(client: pg.ClientBase, opts: Pick<ApplyHostSchemaOptions, "lockTimeoutMs" | "log" | "upTo"> = {}): Promise<number> {
  const log = opts.log ?? (() => undefined);
  await acquireLock(client, opts.lockTimeoutMs ?? 30 * 60_000);
  try {
    await client.query(LEDGER_SQL);
    let applied = await client.query<{ id: number; name: string; checksum: string }>("SELECT id, name, checksum FROM sc_host_migrations ORDER BY id");
    if (applied.rows.length === 0) {
      await baseline(client, log);
      applied = await client.query("SELECT id, name, checksum FROM sc_host_migrations ORDER BY id");
    }
    const done = new Map(applied.rows.map((r) => [r.id, r]));
    for (const m of HOST_MIGRATIONS) {
      if (opts.upTo !== undefined && m.id > opts.upTo) break;
      const row = done.get(m.id);
      if (row) {
        if (row.checksum !== m.checksum) {
          throw new Error(`host migration ${String(m.id).padStart(4, "0")}_${m.name} changed after it was applied (add a new file instead)`);
        }
        continue;
      }
      const started = Date.now();
      await applyOne(client, m, log);
      log(`applied host migration ${String(m.id).padStart(4, "0")}_${m.name} in ${Date.now() - started} ms`);
    }
    const newest = Math.max(0, ...done.keys());
    return Math.max(newest, Math.min(opts.upTo ?? HOST_SCHEMA_VERSION, HOST_SCHEMA_VERSION));
  } finally {
    await client.query("SELECT pg_advisory_unlock($1)", [SCHEMA_LOCK_KEY]).catch(() => undefined);
  }
}

/**
 * Connects to a host database and applies the host migrations. Errors name the host by its
 * redacted DSN only: DSNs carry passwords.
 */
export async function applyHostSchema(dsn: string, opts: ApplyHostSchemaOptions = {}): Promise<number> {
  const client = await openHostClient(dsn, { applicationName: "shardcast-schema", ...(opts.connectTimeoutMs !== undefined ? { connectTimeoutMs: opts.connectTimeoutMs } : {}) });
  try {
    return await applyHostSchemaOn(client, dsn, opts);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** `applyHostSchemaWith` on an open client, its errors naming the host by its redacted DSN. */
export async function applyHostSchemaOn(client: pg.ClientBase, dsn: string, opts: Pick<ApplyHostSchemaOptions, "lockTimeoutMs" | "log" | "upTo"> = {}): Promise<number> {
  try {
    return await applyHostSchemaWith(client, opts);
  } catch (err) {
    throw new ShardcastError("internal", `applying the host schema on ${redactDsn(dsn)} failed: ${safeMessage(err)}`);
  }
}
