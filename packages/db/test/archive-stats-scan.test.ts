import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostDriver } from "../src/index.ts";
import { archivedInRanges } from "../src/host/archive.ts";
import type { HostRun } from "../src/host/types.ts";
import { createTestHostDb } from "../src/testing.ts";

/**
 * The placement run measures every live shardlet of every host each minute with `archivedInRanges`
 * (documented as "one partial-index scan per range"). The partial index is on (stream_id,
 * archive_batch) and has no key hash, so for a host's shardlets the planner walks the key-hash
 * index over each range instead and visits the heap of every row to test `archive_batch`: every
 * row of the host, archived or not, every minute.
 */
describe("archivedInRanges cost", () => {
  const streamId = "s";
  let host: { dsn: string; drop: () => Promise<void> };
  let driver: HostDriver;
  let pool: pg.Pool;
  const ROWS = 40_000;

  beforeAll(async () => {
    host = await createTestHostDb();
    driver = new HostDriver(host.dsn, { poolSize: 2 });
    const { default: pgm } = await import("pg");
    pool = new pgm.Pool({ connectionString: host.dsn, max: 1 });
    await driver.withClient(async (c) => {
      await c.query(
        `INSERT INTO sc_events (stream_id, seq, shardlet_id, key, key_hash, event_id, type, ts, payload, size_bytes, stored_at)
         SELECT 's', g, 'x', 'k' || g, (hashint8(g)::bigint & 4294967295), NULL, NULL, now(), jsonb_build_object('n', g), 20, now() - interval '1 day'
         FROM generate_series(1, ${ROWS}) g`,
      );
    });
    // Archive the lower half of the hash space.
    for (let c = await driver.archiveChunk({ streamId, lo: 0, hi: 2 ** 31, storedBefore: Date.now(), limit: 500 }); c; ) {
      c = await driver.archiveChunk({ streamId, lo: 0, hi: 2 ** 31, storedBefore: Date.now(), limit: 500, afterSeq: c.lastSeq });
    }
    await driver.withClient((c) => c.query("ANALYZE sc_events"));
  }, 120_000);
  afterAll(async () => {
    await pool?.end();
    await driver?.close();
    await host?.drop();
  });

  it("does not visit the rows that are not archived", async () => {
    // What the placement run asks for: every shardlet of the host, together covering its rows.
    const shardlets = Array.from({ length: 16 }, (_, i) => ({ lo: i * 2 ** 28, hi: (i + 1) * 2 ** 28 }));
    const archived = (await driver.archivedInRanges(streamId, shardlets)).reduce((n, a) => n + a.events, 0);
    expect(archived).toBeGreaterThan(ROWS / 3);
    expect(archived).toBeLessThan((ROWS * 2) / 3);
    let scanned = 0;
    const explain: HostRun = async (_what, config) => {
      const res = await pool.query<{ "QUERY PLAN": Array<{ Plan: Record<string, unknown> }> }>({ text: `EXPLAIN (ANALYZE, FORMAT JSON) ${config.text}`, values: config.values });
      const walk = (n: Record<string, unknown>) => {
        const loops = Number(n["Actual Loops"] ?? 1);
        if (n["Relation Name"] === "sc_events") scanned += (Number(n["Actual Rows"]) + Number(n["Rows Removed by Filter"] ?? 0)) * loops;
        for (const child of (n.Plans as Array<Record<string, unknown>> | undefined) ?? []) walk(child);
      };
      walk(res.rows[0]!["QUERY PLAN"][0]!.Plan);
      return { rows: [] } as never;
    };
    await archivedInRanges(explain, streamId, shardlets);
    // Today: every row of the host (the key-hash index over each range, a heap visit per row to test archive_batch).
    expect(scanned).toBeLessThanOrEqual(archived);
  });
});
