import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { applyHostSchema, HOST_MIGRATIONS, HOST_SCHEMA_VERSION } from "../src/host/schema.ts";
import { createTestHostDb } from "../src/testing.ts";

async function query<T extends pg.QueryResultRow>(dsn: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

async function indexes(dsn: string): Promise<Record<string, boolean>> {
  const rows = await query<{ name: string; valid: boolean }>(
    dsn,
    "SELECT c.relname AS name, i.indisvalid AS valid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname LIKE 'sc_events%'",
  );
  return Object.fromEntries(rows.map((r) => [r.name, r.valid]));
}

/** A host as the in-code schema before numbered migrations left it: its SQL and `sc_schema`. */
async function legacyHost(dsn: string, version: number): Promise<void> {
  const sql = HOST_MIGRATIONS.filter((m) => m.id <= version && m.transaction).map((m) => m.sql).join("\n");
  const v3 = version >= 3 ? "CREATE INDEX sc_events_hash ON sc_events (stream_id, key_hash) INCLUDE (size_bytes); DROP INDEX sc_events_shardlet_seq;" : "";
  await query(
    dsn,
    `${sql}; ${v3}
     CREATE TABLE sc_schema (version int PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now());
     INSERT INTO sc_schema (version) VALUES (${version});`,
  );
}

describe("host migrations", () => {
  const drops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const drop of drops.splice(0)) await drop();
  });
  async function host(): Promise<string> {
    const h = await createTestHostDb({ schema: false });
    drops.push(h.drop);
    return h.dsn;
  }

  it("are numbered from 1 without gaps, and the event index is built concurrently", () => {
    expect(HOST_MIGRATIONS.map((m) => m.id)).toEqual(Array.from({ length: HOST_SCHEMA_VERSION }, (_, i) => i + 1));
    const hashIndex = HOST_MIGRATIONS.find((m) => m.sql.includes("sc_events_hash"));
    expect(hashIndex?.transaction).toBe(false);
    expect(hashIndex?.sql).toMatch(/CREATE INDEX CONCURRENTLY/);
  });

  it("apply every file once on a new host and record each", async () => {
    const dsn = await host();
    const lines: string[] = [];
    expect(await applyHostSchema(dsn, { log: (l) => lines.push(l) })).toBe(HOST_SCHEMA_VERSION);
    expect(lines).toHaveLength(HOST_SCHEMA_VERSION);
    expect(await applyHostSchema(dsn, { log: (l) => lines.push(l) })).toBe(HOST_SCHEMA_VERSION);
    expect(lines).toHaveLength(HOST_SCHEMA_VERSION);
    const rows = await query<{ id: number; baseline: boolean }>(dsn, "SELECT id, baseline FROM sc_host_migrations ORDER BY id");
    expect(rows).toEqual(HOST_MIGRATIONS.map((m) => ({ id: m.id, baseline: false })));
    expect(await indexes(dsn)).toMatchObject({ sc_events_hash: true });
    expect(await indexes(dsn)).not.toHaveProperty("sc_events_shardlet_seq");
  });

  it("recognise a host the old in-code schema brought to version 3 and run nothing on it", async () => {
    const dsn = await host();
    await legacyHost(dsn, 3);
    const lines: string[] = [];
    expect(await applyHostSchema(dsn, { log: (l) => lines.push(l) })).toBe(HOST_SCHEMA_VERSION);
    const later = HOST_MIGRATIONS.filter((m) => m.id > 3).map((m) => m.name);
    expect(lines.filter((l) => l.startsWith("applied")).map((l) => later.find((name) => l.includes(name)))).toEqual(later);
    const rows = await query<{ id: number; baseline: boolean }>(dsn, "SELECT id, baseline FROM sc_host_migrations WHERE id <= 3 ORDER BY id");
    expect(rows).toEqual([1, 2, 3].map((id) => ({ id, baseline: true })));
  });

  it("bring a version-2 host forward by building the event index concurrently, redoing an invalid leftover", async () => {
    const dsn = await host();
    await legacyHost(dsn, 2);
    await query(dsn, "INSERT INTO sc_events (stream_id, seq, shardlet_id, key, key_hash, ts, payload, size_bytes) VALUES ('s', 1, 'a', 'k', 1, now(), '{}', 2), ('s', 2, 'a', 'k', 1, now(), '{}', 2)");
    // What a CREATE INDEX CONCURRENTLY that died halfway leaves: an index marked invalid.
    await query(dsn, "CREATE INDEX sc_events_hash ON sc_events (stream_id, key_hash) INCLUDE (size_bytes); UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'sc_events_hash'::regclass");
    expect(await indexes(dsn)).toMatchObject({ sc_events_hash: false, sc_events_shardlet_seq: true });
    expect(await applyHostSchema(dsn)).toBe(HOST_SCHEMA_VERSION);
    expect(await indexes(dsn)).toMatchObject({ sc_events_hash: true });
    expect(await indexes(dsn)).not.toHaveProperty("sc_events_shardlet_seq");
    const rows = await query<{ id: number; baseline: boolean }>(dsn, "SELECT id, baseline FROM sc_host_migrations WHERE id <= 3 ORDER BY id");
    expect(rows).toEqual([
      { id: 1, baseline: true },
      { id: 2, baseline: true },
      { id: 3, baseline: false },
    ]);
  });

  it("settle overflow copies an id was stored twice under before ids were unique there, keeping the earliest", async () => {
    const dsn = await host();
    await applyHostSchema(dsn);
    // As a host was before file 8: no unique index, and a resent id stored at a second position.
    await query(dsn, "DROP INDEX sc_overflow_event_id; DELETE FROM sc_host_migrations WHERE id = 8");
    await query(
      dsn,
      `INSERT INTO sc_overflow (shard_id, stream_id, seq, shardlet_id, key, key_hash, event_id, type, ts, payload, size_bytes)
       SELECT 'sh', 's', g, 'sl', 'k', 1, CASE WHEN g = 4 THEN NULL ELSE 'id-' || (g % 2) END, NULL, now(), '{}'::jsonb, 10
       FROM generate_series(1, 4) g`,
    );
    expect(await applyHostSchema(dsn)).toBe(HOST_SCHEMA_VERSION);
    const rows = await query<{ seq: string; event_id: string | null }>(dsn, "SELECT seq, event_id FROM sc_overflow ORDER BY seq");
    expect(rows).toEqual([
      { seq: "1", event_id: "id-1" },
      { seq: "2", event_id: "id-0" },
      { seq: "4", event_id: null },
    ]);
    const unique = await query<{ n: number }>(dsn, "SELECT count(*)::int AS n FROM pg_indexes WHERE indexname = 'sc_overflow_event_id'");
    expect(unique).toEqual([{ n: 1 }]);
  });

  it("refuse a host on which an applied file has since changed", async () => {
    const dsn = await host();
    await applyHostSchema(dsn);
    await query(dsn, "UPDATE sc_host_migrations SET checksum = 'edited' WHERE id = 2");
    await expect(applyHostSchema(dsn)).rejects.toThrow(/changed after it was applied/);
  });

  it("let concurrent runs on one host wait for each other", async () => {
    const dsn = await host();
    const versions = await Promise.all([applyHostSchema(dsn), applyHostSchema(dsn), applyHostSchema(dsn)]);
    expect(versions).toEqual([HOST_SCHEMA_VERSION, HOST_SCHEMA_VERSION, HOST_SCHEMA_VERSION]);
    expect(await query(dsn, "SELECT id FROM sc_host_migrations")).toHaveLength(HOST_SCHEMA_VERSION);
  });
});
