import pg from "pg";
import { redactDsn, ShardcastError } from "@shardcast/core";
import type { ControlDb } from "../client.ts";
import { safeMessage } from "../safe-message.ts";

/** Bump when HOST_SCHEMA_SQL changes; every statement must stay idempotent (IF NOT EXISTS). */
export const HOST_SCHEMA_VERSION = 3;

/**
 * Storage on each host database. Events are keyed by (stream, global seq); `event_id` is the
 * producer's idempotency id. Write accounting goes to the append-only `sc_stat_delta` so the hot
 * path never contends on a counter row; `foldStats` folds it into `sc_stat_total`.
 *
 * A shardlet's events on its host are the stream's rows whose `key_hash` lies in the shardlet's
 * range, not the rows labelled with its id: `sc_events.shardlet_id` records the shardlet that
 * accepted the write (for display and tracing) and is never rewritten. That is what makes a split
 * or merge on one host a metadata change (see `sc_events_hash`).
 */
export const HOST_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS sc_schema (
  version    int PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS sc_fence (
  shardlet_id text PRIMARY KEY,
  stream_id   text NOT NULL,
  epoch       int NOT NULL,
  state       text NOT NULL,
  lo          bigint,
  hi          bigint,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS sc_fence_stream ON sc_fence (stream_id);

CREATE TABLE IF NOT EXISTS sc_events (
  stream_id   text NOT NULL,
  seq         bigint NOT NULL,
  -- The shardlet that accepted the write; which shardlet holds the row now is its key_hash range.
  shardlet_id text NOT NULL,
  key         text NOT NULL,
  key_hash    bigint NOT NULL,
  event_id    text,
  type        text,
  ts          timestamptz NOT NULL,
  payload     jsonb NOT NULL,
  size_bytes  int NOT NULL,
  stored_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream_id, seq)
);
CREATE UNIQUE INDEX IF NOT EXISTS sc_events_event_id ON sc_events (stream_id, event_id) WHERE event_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS sc_events_key_ts ON sc_events (stream_id, key, ts);

CREATE TABLE IF NOT EXISTS sc_stat_delta (
  shardlet_id text NOT NULL,
  events      bigint NOT NULL,
  bytes       bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS sc_stat_total (
  shardlet_id text PRIMARY KEY,
  events      bigint NOT NULL DEFAULT 0,
  bytes       bigint NOT NULL DEFAULT 0,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS sc_overflow (
  overflow_id bigserial PRIMARY KEY,
  shard_id    text NOT NULL,
  stream_id   text NOT NULL,
  seq         bigint NOT NULL,
  shardlet_id text NOT NULL,
  key         text NOT NULL,
  key_hash    bigint NOT NULL,
  event_id    text,
  type        text,
  ts          timestamptz NOT NULL,
  payload     jsonb NOT NULL,
  size_bytes  int NOT NULL,
  stored_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS sc_overflow_shard ON sc_overflow (shard_id, overflow_id);
-- v2: overflow rows are drained into their shardlet, then kept (drained_at set) for a grace
-- period, because readers merge reads across the overflow and the target host.
ALTER TABLE sc_overflow ADD COLUMN IF NOT EXISTS drained_at timestamptz;
CREATE UNIQUE INDEX IF NOT EXISTS sc_overflow_seq ON sc_overflow (stream_id, seq);
CREATE INDEX IF NOT EXISTS sc_overflow_pending ON sc_overflow (stream_id, key_hash, seq) WHERE drained_at IS NULL;
CREATE INDEX IF NOT EXISTS sc_overflow_key ON sc_overflow (stream_id, key, ts);
CREATE INDEX IF NOT EXISTS sc_overflow_drained ON sc_overflow (drained_at) WHERE drained_at IS NOT NULL;
-- v3: shardlet membership is the key-hash range. Counts, sizes and medians of a shardlet read this
-- index (size_bytes included, so sums need no heap visit); the label index it replaces was only
-- used to select a shardlet's rows, so the insert path keeps the same number of indexes.
-- On a host upgraded from v2 the build takes a write lock on sc_events once, at start.
CREATE INDEX IF NOT EXISTS sc_events_hash ON sc_events (stream_id, key_hash) INCLUDE (size_bytes);
DROP INDEX IF EXISTS sc_events_shardlet_seq;
`;

/** Serialises concurrent schema applications on one database (CREATE ... IF NOT EXISTS can race). */
const SCHEMA_LOCK_KEY = 0x5c_0001;

/** Applies the host schema on an open client; idempotent. Returns the recorded schema version. */
export async function applyHostSchemaWith(client: pg.ClientBase): Promise<number> {
  await client.query("BEGIN");
  try {
    await client.query("SELECT pg_advisory_xact_lock($1)", [SCHEMA_LOCK_KEY]);
    await client.query(HOST_SCHEMA_SQL);
    await client.query("INSERT INTO sc_schema (version) VALUES ($1) ON CONFLICT (version) DO NOTHING", [HOST_SCHEMA_VERSION]);
    const res = await client.query<{ version: number }>("SELECT max(version) AS version FROM sc_schema");
    await client.query("COMMIT");
    return res.rows[0]?.version ?? HOST_SCHEMA_VERSION;
  } catch (err) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}

export interface ApplyHostSchemaOptions {
  /** Give up connecting after this long (default 5 s). */
  connectTimeoutMs?: number;
}

/**
 * Connects to a host database and applies the host schema. Errors name the host by its redacted
 * DSN only: DSNs carry passwords.
 */
export async function applyHostSchema(dsn: string, opts: ApplyHostSchemaOptions = {}): Promise<number> {
  const client = new pg.Client({
    connectionString: dsn,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
    application_name: "shardcast-schema",
  });
  // A dropped connection emits "error" on the client; without a listener that would crash the process.
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => undefined);
    throw new ShardcastError("unavailable", `cannot connect to host ${redactDsn(dsn)}: ${safeMessage(err)}`);
  }
  try {
    return await applyHostSchemaWith(client);
  } catch (err) {
    throw new ShardcastError("internal", `applying the host schema on ${redactDsn(dsn)} failed: ${safeMessage(err)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * Brings every registered host to the current host schema (idempotent; hosts registered by an
 * older version get the new tables, columns and indexes). Run at start by the embedded start and
 * the worker. Returns the names of hosts that could not be reached (they are upgraded when they
 * come back, at the next start).
 */
export async function upgradeHostSchemas(
  db: ControlDb,
  log: (line: string) => void = () => undefined,
): Promise<string[]> {
  const hosts = await db.host.findMany({ select: { name: true, dsn: true } });
  const unreachable: string[] = [];
  for (const h of hosts) {
    try {
      await applyHostSchema(h.dsn);
    } catch (err) {
      unreachable.push(h.name);
      log(`host ${h.name}: schema upgrade skipped (${safeMessage(err)})`);
    }
  }
  return unreachable;
}
