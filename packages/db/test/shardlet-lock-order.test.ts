import { waitFor } from "@shardcast/core/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  addFallbackCounts,
  createPendingShardlets,
  createStream,
  HostPool,
  loadRoutes,
  registerHost,
  switchShardlets,
  writeShardletFigures,
  type ControlDb,
  type PendingShardlet,
} from "../src/index.ts";
import { createTestControlDb, createTestHostDb } from "../src/testing.ts";

/**
 * The worker's multi-row shardlet updates run concurrently from different jobs. Each takes its
 * row locks in id order, so two of them meeting the same rows wait in line instead of in a cycle
 * (which PostgreSQL breaks by aborting one, 40P01). Each case: a transaction holds a row R, a
 * first statement queues on R, a second statement that meets a row the first needs after R
 * queues too; then R is let go. Taken in any other order, the two deadlock there.
 */
describe("multi-row shardlet updates lock in id order", () => {
  let control: { url: string; db: ControlDb; drop: () => Promise<void> };
  let host: { dsn: string; drop: () => Promise<void> };
  let pool: HostPool;
  let holder: pg.Client;

  beforeAll(async () => {
    control = await createTestControlDb();
    host = await createTestHostDb();
    pool = new HostPool(control.db, { poolSize: 2 });
    await registerHost(control.db, { name: "h1", dsn: host.dsn });
    holder = new pg.Client({ connectionString: control.url });
    await holder.connect();
  });
  afterAll(async () => {
    await holder?.end();
    await pool?.closeAll();
    await control?.drop();
    await host?.drop();
  });

  /** A stream's only shardlet, and a maker of pending rows on its range with chosen ids. */
  async function streamWithSource(name: string) {
    const stream = await createStream(control.db, pool, { name, shardCount: 1, shardletsPerShard: 1 });
    const [source] = await loadRoutes(control.db, stream.id);
    if (!source) throw new Error("the stream has no shardlet");
    const pending = (id: string): PendingShardlet => ({ ...source, id, capacityBytes: 1024, epoch: 1, parentId: source.id });
    return { source, pending };
  }

  /** Whether a statement containing `marker` is waiting for a lock in this database. */
  async function waiting(marker: string): Promise<boolean> {
    // Statistics are read as of the transaction's first look unless the snapshot is dropped.
    await holder.query("SELECT pg_stat_clear_snapshot()");
    const res = await holder.query(
      "SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1 AND pid <> pg_backend_pid()",
      [`%${marker}%`],
    );
    return (res.rowCount ?? 0) > 0;
  }

  async function precedes(a: string, b: string): Promise<boolean> {
    return (await holder.query<{ lt: boolean }>("SELECT $1::text < $2::text AS lt", [a, b])).rows[0]?.lt === true;
  }

  /** Runs `first` and `second` against the held row `held` as described above; both must finish. */
  async function race(held: string, first: { marker: string; run: () => Promise<unknown> }, second: { marker: string; run: () => Promise<unknown> }) {
    await holder.query("BEGIN");
    try {
      await holder.query("SELECT id FROM shardlets WHERE id = $1 FOR UPDATE", [held]);
      const one = first.run().then(() => null, (err: unknown) => err);
      await waitFor(`the ${first.marker} statement to wait for the held row`, () => waiting(first.marker));
      const two = second.run().then(() => null, (err: unknown) => err);
      await waitFor(`the ${second.marker} statement to wait for a lock`, () => waiting(second.marker));
      await holder.query("COMMIT");
      expect(await one).toBeNull();
      expect(await two).toBeNull();
    } finally {
      await holder.query("ROLLBACK").catch(() => undefined);
    }
  }

  async function row(id: string) {
    return control.db.shardlet.findUniqueOrThrow({ where: { id } });
  }

  it("a switch and a figure update over its source and child both finish", async () => {
    const { source, pending } = await streamWithSource("lock-switch");
    // The child sorts after its source: the old switch locked the child first, the source after.
    const child = `${source.id}z`;
    expect(await precedes(source.id, child)).toBe(true);
    await createPendingShardlets(control.db, [pending(child)]);
    await race(
      child,
      { marker: "retired_at", run: () => switchShardlets(control.db, { activate: [child], retire: [source.id] }) },
      {
        marker: "fallback_count",
        run: () =>
          addFallbackCounts(
            control.db,
            new Map([
              [source.id, 3],
              [child, 4],
            ]),
          ),
      },
    );
    expect(await row(source.id)).toMatchObject({ state: "retired", fallbackCount: 3n });
    expect(await row(child)).toMatchObject({ state: "active", overflowPending: true, fallbackCount: 4n });
  });

  it("two figure updates listing the same rows in opposite orders both finish", async () => {
    const { source, pending } = await streamWithSource("lock-figures");
    const [low, high] = ["lock-figures-a", "lock-figures-b"];
    expect(await precedes(low, high)).toBe(true);
    // Enough rows that each update probes the primary key per listed id, in the listed order.
    const filler = Array.from({ length: 2000 }, (_, i) => pending(`lock-fill-${String(i).padStart(4, "0")}`));
    await createPendingShardlets(control.db, [pending(high), pending(low), ...filler]);
    await holder.query("ANALYZE shardlets");
    const at = new Date("2030-01-01T00:00:00Z");
    await race(
      high,
      {
        marker: "write_rate",
        run: () =>
          writeShardletFigures(control.db, source.hostId, at, [
            { id: high, sizeBytes: 20, eventCount: 2, writeRate: 0.5 },
            { id: low, sizeBytes: 10, eventCount: 1, writeRate: 0.25 },
          ]),
      },
      {
        marker: "fallback_count",
        run: () =>
          addFallbackCounts(
            control.db,
            new Map([
              [low, 5],
              [high, 6],
            ]),
          ),
      },
    );
    expect(await row(low)).toMatchObject({ sizeBytes: 10n, eventCount: 1n, writeRate: 0.25, updatedAt: at, fallbackCount: 5n });
    expect(await row(high)).toMatchObject({ sizeBytes: 20n, eventCount: 2n, writeRate: 0.5, updatedAt: at, fallbackCount: 6n });
  });
});
