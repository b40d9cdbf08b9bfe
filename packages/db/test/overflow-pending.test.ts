import { HASH_SPACE } from "@shardcast/core";
import { waitFor } from "@shardcast/core/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createStream, HostPool, loadRoutes, markOverflowPending, registerHost, type ControlDb } from "../src/index.ts";
import { createTestControlDb, createTestHostDb } from "../src/testing.ts";

describe("markOverflowPending against the worker's row locks", () => {
  let control: { url: string; db: ControlDb; drop: () => Promise<void> };
  let host: { dsn: string; drop: () => Promise<void> };
  let pool: HostPool;

  beforeAll(async () => {
    control = await createTestControlDb();
    host = await createTestHostDb();
    pool = new HostPool(control.db, { poolSize: 2 });
    await registerHost(control.db, { name: "h1", dsn: host.dsn });
  });
  afterAll(async () => {
    await pool?.closeAll();
    await control?.drop();
    await host?.drop();
  });

  it("does not join a lock cycle: a transaction holding one of its rows and then taking another finishes, and the flag is set after it", async () => {
    const stream = await createStream(control.db, pool, { name: "flags", shardCount: 1, shardletsPerShard: 2 });
    const [low, high] = (await loadRoutes(control.db, stream.id)).map((r) => r.id).sort();
    const other = new pg.Client({ connectionString: control.url });
    await other.connect();
    try {
      // A worker statement that updates the flagged rows in the other order: the higher id first.
      await other.query("BEGIN");
      await other.query("SELECT id FROM shardlets WHERE id = $1 FOR UPDATE", [high]);
      const flagging = markOverflowPending(control.db, stream.id, [{ lo: 0, hi: HASH_SPACE }]);
      const failed = flagging.then(
        () => null,
        (err: unknown) => err,
      );
      // The flag write has met the held row: it waits in the lock queue (holding the lower row)
      // or it has been refused and is trying again (a rolled-back statement).
      const rollbacks = async () => Number((await other.query<{ n: string }>("SELECT xact_rollback::text AS n FROM pg_stat_database WHERE datname = current_database()")).rows[0]?.n ?? 0);
      const before = await rollbacks();
      await waitFor("the flag write to meet the held row", async () => {
        // Statistics are read as of the transaction's first look unless the snapshot is dropped.
        await other.query("SELECT pg_stat_clear_snapshot()");
        const waiting = await other.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%overflow_pending%' AND pid <> pg_backend_pid()");
        return (waiting.rowCount ?? 0) > 0 || (await rollbacks()) > before;
      });
      // Now the lower row: with the flag write holding it while it waits, this is a deadlock.
      await other.query("SELECT id FROM shardlets WHERE id = $1 FOR UPDATE", [low]);
      await other.query("COMMIT");
      expect(await failed).toBeNull();
      expect((await flagging).sort()).toEqual([low, high]);
      expect((await loadRoutes(control.db, stream.id)).every((r) => r.overflowPending)).toBe(true);
    } finally {
      await other.query("ROLLBACK").catch(() => undefined);
      await other.end();
    }
  });
});
