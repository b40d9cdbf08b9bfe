import type pg from "pg";
import { ID_TABLES_SQL } from "./id-generations.ts";
import { createPartition, LEGACY_PARTITION } from "./partitions.ts";

/**
 * The code step of host migration 0009: `sc_events` becomes a table partitioned by stored time
 * while writes go on. Every step can run again after a stop (a crash, a lost connection):
 *
 * 1. Online, on the live table: a column `part` (the stored second; 0 for every existing row, a
 *    catalog-only change), a CHECK (part = 0) added NOT VALID and then validated (a scan under
 *    SHARE UPDATE EXCLUSIVE, which lets writes go on; new rows take the default 0, so it stays
 *    true while the table is live), the archive CHECK validated the same way (the partitioned
 *    parent carries it valid), and a unique index on (stream_id, seq, part) built CONCURRENTLY.
 * 2. One short transaction (ACCESS EXCLUSIVE, under a lock timeout and retried, so writers queue
 *    behind it for at most that long): the table becomes `sc_events_legacy`, its indexes `*_legacy`,
 *    the partitioned `sc_events` is created with the same columns and indexes (a plain unique index
 *    where the old table had its primary key, so the old unique index can be attached), the old
 *    table is attached for [MINVALUE, 1) (the validated CHECK proves the bound, so nothing is
 *    scanned, and its indexes are attached, not built), a partition for the present minutes is
 *    made, and the tables of the new layout are created (`sc_event_ids` last marks it).
 *
 * Producers' idempotency moves to `sc_event_ids`; the ids of the rows stored before are not copied
 * there: writers also look them up in the legacy partition's own unique index until that
 * partition expires and is dropped (no backfill that would take as long as the table is big).
 */

const LEGACY_CHECK = "sc_events_part_legacy";
/** Longest the switch's lock may queue writers; it is tried again after a pause when it cannot get it. */
const SWAP_LOCK_TIMEOUT_MS = 2_000;
const SWAP_ATTEMPTS = 60;

/** Indexes of the live table: renamed at the switch, then attached to the parent's of the same definition. */
const EVENT_INDEXES = [
  { name: "sc_events_key_ts", def: "(stream_id, key, ts)" },
  { name: "sc_events_hash", def: "(stream_id, key_hash) INCLUDE (size_bytes)" },
  { name: "sc_events_archive_batch", def: "(stream_id, archive_batch) WHERE archive_batch IS NOT NULL" },
  { name: "sc_events_archived_hash", def: "(stream_id, key_hash) INCLUDE (seq, size_bytes, archive_batch) WHERE archive_batch IS NOT NULL" },
] as const;

const PARENT_SQL = `CREATE TABLE sc_events (
  stream_id     text NOT NULL,
  seq           bigint NOT NULL,
  shardlet_id   text NOT NULL,
  key           text NOT NULL,
  key_hash      bigint NOT NULL,
  event_id      text,
  type          text,
  ts            timestamptz NOT NULL,
  payload       jsonb,
  size_bytes    int NOT NULL,
  stored_at     timestamptz NOT NULL DEFAULT now(),
  archive_batch bigint,
  payload_md5   uuid,
  -- The second (epoch) the row was first stored: partitions are ranges of it, so their span can
  -- change at any time. A copy or drain of a row keeps its part, so a re-delivered row meets itself.
  part          bigint NOT NULL DEFAULT floor(extract(epoch FROM now()))::bigint,
  CONSTRAINT sc_events_payload_or_archive
    CHECK ((payload IS NULL) = (archive_batch IS NOT NULL) AND (archive_batch IS NULL) = (payload_md5 IS NULL))
) PARTITION BY RANGE (part)`;

const NEW_TABLES_SQL = [
  // Per stream, the first position still kept (reads skip rows below it) and the cutoff it came from.
  `CREATE TABLE sc_stream_retention (
     stream_id  text PRIMARY KEY,
     start_seq  bigint NOT NULL DEFAULT 0,
     cutoff_sec bigint,
     updated_at timestamptz NOT NULL DEFAULT now()
   )`,
  // The partition span the retention job last set: writers that create a partition use it.
  `CREATE TABLE sc_retention_config (
     singleton  boolean PRIMARY KEY DEFAULT true CHECK (singleton),
     span_sec   int NOT NULL,
     updated_at timestamptz NOT NULL DEFAULT now()
   )`,
];

type Log = (line: string) => void;

async function one<T extends pg.QueryResultRow>(c: pg.ClientBase, sql: string, values: unknown[] = []): Promise<T | undefined> {
  return (await c.query<T>(sql, values)).rows[0];
}

async function isPartitioned(c: pg.ClientBase): Promise<boolean> {
  return (await one<{ kind: string }>(c, "SELECT relkind::text AS kind FROM pg_class WHERE oid = to_regclass('sc_events')"))?.kind === "p";
}

async function indexValid(c: pg.ClientBase, name: string): Promise<boolean | null> {
  const r = await one<{ valid: boolean }>(
    c,
    "SELECT i.indisvalid AS valid FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid WHERE x.relname = $1 AND x.relnamespace = current_schema()::regnamespace",
    [name],
  );
  return r ? r.valid : null;
}

/** Builds an index on the live table CONCURRENTLY, again if a stopped build left it invalid. */
async function concurrentIndex(c: pg.ClientBase, name: string, sql: string, log: Log): Promise<void> {
  const valid = await indexValid(c, name);
  if (valid === true) return;
  if (valid === false) await c.query(`DROP INDEX CONCURRENTLY IF EXISTS ${name}`);
  const started = Date.now();
  await c.query(sql);
  log(`built index ${name} in ${Date.now() - started} ms`);
}

async function prepareLiveTable(c: pg.ClientBase, log: Log): Promise<void> {
  await c.query("ALTER TABLE sc_events ADD COLUMN IF NOT EXISTS part bigint NOT NULL DEFAULT 0");
  const check = await one<{ n: number }>(c, "SELECT count(*)::int AS n FROM pg_constraint WHERE conrelid = 'sc_events'::regclass AND conname = $1", [LEGACY_CHECK]);
  if (!check?.n) await c.query(`ALTER TABLE sc_events ADD CONSTRAINT ${LEGACY_CHECK} CHECK (part = 0) NOT VALID`);
  let started = Date.now();
  await c.query(`ALTER TABLE sc_events VALIDATE CONSTRAINT ${LEGACY_CHECK}`);
  await c.query("ALTER TABLE sc_events VALIDATE CONSTRAINT sc_events_payload_or_archive");
  log(`validated the existing rows' checks in ${Date.now() - started} ms`);
  started = Date.now();
  for (const ix of EVENT_INDEXES) await concurrentIndex(c, ix.name, `CREATE INDEX CONCURRENTLY IF NOT EXISTS ${ix.name} ON sc_events ${ix.def}`, log);
  await concurrentIndex(c, "sc_events_seq_legacy", "CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS sc_events_seq_legacy ON sc_events (stream_id, seq, part)", log);
}

async function swap(c: pg.ClientBase): Promise<void> {
  await c.query("BEGIN");
  try {
    await c.query(`SET LOCAL lock_timeout = ${SWAP_LOCK_TIMEOUT_MS}`);
    await c.query("LOCK TABLE sc_events IN ACCESS EXCLUSIVE MODE");
    await c.query(`ALTER TABLE sc_events RENAME TO ${LEGACY_PARTITION}`);
    // Each index of a partition is named after the parent's it is attached to (see createPartition).
    await c.query("ALTER INDEX IF EXISTS sc_events_pkey RENAME TO sc_events_pkey_legacy");
    await c.query("ALTER INDEX IF EXISTS sc_events_event_id RENAME TO sc_events_event_id_legacy");
    for (const ix of EVENT_INDEXES) await c.query(`ALTER INDEX ${ix.name} RENAME TO ${ix.name}_legacy`);
    await c.query(PARENT_SQL);
    await c.query("CREATE UNIQUE INDEX sc_events_seq ON sc_events (stream_id, seq, part)");
    for (const ix of EVENT_INDEXES) await c.query(`CREATE INDEX ${ix.name} ON sc_events ${ix.def}`);
    await c.query(`ALTER TABLE sc_events ATTACH PARTITION ${LEGACY_PARTITION} FOR VALUES FROM (MINVALUE) TO (1)`);
    // The present minutes, so writes right after the switch find a partition; the retention job
    // (or a writer, on demand) makes the following ones with the configured span.
    const minute = Number((await one<{ m: string }>(c, "SELECT (floor(extract(epoch FROM now()) / 60) * 60)::bigint::text AS m"))?.m);
    await createPartition(c, { lo: minute, hi: minute + 120 });
    for (const sql of NEW_TABLES_SQL) await c.query(sql);
    // Producers' idempotency (an event id is stored once per stream on a host), last: it marks the layout.
    for (const sql of ID_TABLES_SQL) await c.query(sql);
    await c.query("COMMIT");
  } catch (err) {
    await c.query("ROLLBACK").catch(() => undefined);
    throw err;
  }
}

/** SQLSTATE 55P03: the lock timeout ran out (long reads or writes hold the table). */
function lockTimedOut(err: unknown): boolean {
  return (err as { code?: unknown }).code === "55P03";
}

export async function partitionEventsStep(c: pg.ClientBase, log: Log): Promise<void> {
  if (await isPartitioned(c)) return;
  const rows = await one<{ any: boolean }>(c, "SELECT EXISTS (SELECT 1 FROM sc_events) AS any");
  // A new host has nothing to report; a host with events says how far the migration got.
  const say: Log = rows?.any ? log : () => undefined;
  await prepareLiveTable(c, say);
  for (let attempt = 1; ; attempt++) {
    const started = Date.now();
    try {
      await swap(c);
      say(`switched sc_events to time partitions (the old table is ${LEGACY_PARTITION}) in ${Date.now() - started} ms`);
      return;
    } catch (err) {
      if (!lockTimedOut(err) || attempt >= SWAP_ATTEMPTS) throw err;
      say(`the switch could not lock sc_events within ${SWAP_LOCK_TIMEOUT_MS} ms (attempt ${attempt}); trying again`);
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 250 * attempt)));
    }
  }
}
