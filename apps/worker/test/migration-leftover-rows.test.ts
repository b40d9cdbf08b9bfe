import { waitFor } from "@shardcast/core/testing";
import { deleteUnfencedRows, type HostDriver } from "@shardcast/db/host";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startMigrationHarness, type MigrationHarness } from "./migration-harness.ts";

/**
 * Rows a given-up migration left on a host are deleted where no fence of the host covers them.
 * The host's own fence changes (switches, epoch raises of other migrations) go on meanwhile, and a
 * fence that appears over the rows while they are being deleted keeps them.
 */

let t: MigrationHarness;
let host: HostDriver;
/** A shardlet of the host, and the range of a shardlet of another host (no fence covers it on this host). */
let own: { id: string };
let range: { lo: number; hi: number };
let foreignId: string;
const LEFT = 10;

beforeAll(async () => {
  t = await startMigrationHarness({ shardCount: 2, shardletsPerShard: 2 });
  const shardlets = await t.h.db.shardlet.findMany({ where: { streamId: t.h.streamId, state: "active" }, orderBy: { lo: "asc" } });
  const first = shardlets[0]!;
  const foreign = shardlets.find((s) => s.hostId !== first.hostId)!;
  host = await t.h.driver(first.hostId);
  own = { id: first.id };
  foreignId = foreign.id;
  range = { lo: Number(foreign.lo), hi: Number(foreign.hi) };
});

afterAll(async () => {
  await t?.close();
});

/** Leaves `LEFT` rows of the foreign range on the host, as a given-up copy would. */
async function leaveRows(): Promise<void> {
  await host.withClient((c) =>
    c.query(
      `INSERT INTO sc_events (stream_id, seq, shardlet_id, key, key_hash, ts, payload, size_bytes)
       SELECT $1, 1000000000 + g, $2, 'left-' || g, $3::bigint + g, now(), '{}'::jsonb, 2 FROM generate_series(0, $4 - 1) g
       ON CONFLICT DO NOTHING`,
      [t.h.streamId, foreignId, range.lo, LEFT],
    ),
  );
}

async function leftRows(): Promise<number> {
  const res = await host.withClient((c) =>
    c.query<{ n: number }>("SELECT count(*)::int AS n FROM sc_events WHERE stream_id = $1 AND seq >= 1000000000", [t.h.streamId]),
  );
  return res.rows[0]!.n;
}

/** A connection of its own with a transaction open; `done` commits and releases it. */
async function openTransaction(): Promise<{ c: pg.PoolClient; done: () => Promise<void> }> {
  let release!: () => void;
  let ready!: (c: pg.PoolClient) => void;
  const held = new Promise<void>((r) => (release = r));
  const client = new Promise<pg.PoolClient>((r) => (ready = r));
  const finished = host.withClient(async (c) => {
    await c.query("BEGIN");
    ready(c);
    await held;
    await c.query("COMMIT");
  });
  return { c: await client, done: async () => (release(), await finished) };
}

describe("rows a given-up migration left on a host", () => {
  it("are deleted while a fence change on the host is in flight", async () => {
    await leaveRows();
    const change = await openTransaction();
    try {
      await change.c.query("UPDATE sc_fence SET epoch = epoch WHERE shardlet_id = $1", [own.id]);
      expect(await deleteUnfencedRows(host, { streamId: t.h.streamId, ...range, limit: 100 })).toBe(LEFT);
    } finally {
      await change.done();
    }
    expect(await leftRows()).toBe(0);
  });

  it("stay when a fence over them appears while they are being deleted", async () => {
    await leaveRows();
    // The delete waits on one of the rows while a migration into the range fences it.
    const lock = await openTransaction();
    let deleting: Promise<number> | undefined;
    try {
      await lock.c.query("SELECT 1 FROM sc_events WHERE stream_id = $1 AND seq = 1000000000 FOR UPDATE", [t.h.streamId]);
      deleting = deleteUnfencedRows(host, { streamId: t.h.streamId, ...range, limit: 100 });
      deleting.catch(() => undefined);
      await waitFor("the delete waiting on the locked row", async () => {
        // Not on the locking connection: a transaction sees one snapshot of the activity view.
        const res = await host.withClient((c) => c.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%DELETE FROM sc_events WHERE ctid%'",
        ));
        return res.rows[0]!.n > 0;
      });
      await host.setFence(foreignId, t.h.streamId, 1_000, "shadow", range);
    } finally {
      await lock.done();
    }
    expect(await deleting).toBe(0);
    expect(await leftRows()).toBe(LEFT);
    await host.deleteFences([foreignId]);
    expect(await deleteUnfencedRows(host, { streamId: t.h.streamId, ...range, limit: 100 })).toBe(LEFT);
  });
});
