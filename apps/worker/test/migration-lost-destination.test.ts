import { listDestinationLeftovers, listMigrationEvents, registerHost } from "@shardcast/db";
import { pgAdminUrl } from "@shardcast/db/env";
import { HostDriver } from "@shardcast/db/host";
import { createTestHostDb } from "@shardcast/db/testing";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMigrationScheduler } from "../src/processors/migration-scheduler.ts";
import { runOverflowDrain } from "../src/processors/overflow-drain.ts";
import { sweepDestinationLeftovers } from "../src/migration/leftover.ts";
import { exactlyOnceProblems } from "./lifecycle-harness.ts";
import { startMigrationHarness, type MigrationHarness } from "./migration-harness.ts";

/**
 * A migration whose destination goes away mid-way: its database dropped, or closed to connections
 * while the migration is cancelled. Until the mapping switches the source holds every acknowledged
 * event, so the migration is given up without the destination: the shardlet serves reads and
 * writes from the source with every event once, the event log says why, and a partial copy the
 * destination still holds is removed once it answers again. Each destination is a host of its own
 * that holds nothing else of the stream, so only the migrating shardlet depends on it.
 */

let t: MigrationHarness;
const drops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  t = await startMigrationHarness();
  await t.settings({ chunkRows: 100, rowsPerSecond: 0, verifyRangeRows: 100, switchTailRows: 50, cleanupGraceMs: 100 });
  // Bounded tries of a destination that does not answer, so a cancel does not wait on it for long.
  t.h.deps.migration = { ...t.h.deps.migration, destinationTimeoutMs: 3_000 };
});

afterAll(async () => {
  await t?.close();
  for (const drop of drops) await drop().catch(() => undefined);
});

async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: pgAdminUrl() });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

/** A registered host with a database of its own; `name` is its database's name. */
async function extraHost(hostName: string): Promise<{ id: string; dsn: string; database: string }> {
  const db = await createTestHostDb();
  drops.push(db.drop);
  const { id } = await registerHost(t.h.db, { name: hostName, dsn: db.dsn });
  return { id, dsn: db.dsn, database: new URL(db.dsn).pathname.slice(1) };
}

/** The n-th active shardlet of the stream, with events written into its range. */
async function shardletWithRows(n: number) {
  const shardlets = await t.h.db.shardlet.findMany({ where: { streamId: t.h.streamId, state: "active" }, orderBy: { lo: "asc" } });
  const s = shardlets[n]!;
  const range = { lo: Number(s.lo), hi: Number(s.hi) };
  await t.write(range, 400, { inRangeShare: 1 });
  return { id: s.id, hostId: s.hostId, epoch: s.epoch, range };
}

/** The shardlet is on `hostId` again, takes writes there, and every acknowledged event is stored and read back once. */
async function expectServedFrom(s: { id: string; hostId: string; range: { lo: number; hi: number } }, epoch: number) {
  expect(await t.route(s.id)).toMatchObject({ hostId: s.hostId, epoch, shadowHostId: null });
  expect(await (await t.h.driver(s.hostId)).getFence(s.id)).toMatchObject({ state: "active", epoch });
  await t.write(s.range, 100, { inRangeShare: 1 });
  await runOverflowDrain(t.h.deps, { streamId: t.h.streamId });
  expect(await t.onHost(s.hostId, s.range)).toEqual(t.expected(s.range));
  expect(exactlyOnceProblems(await t.h.check())).toEqual([]);
  const { byPosition } = await t.h.read();
  const seen = new Map<string, number>();
  for (const e of byPosition) if (e.id !== null) seen.set(e.id, (seen.get(e.id) ?? 0) + 1);
  const wrong = [...t.h.acked.keys()].filter((id) => seen.get(id) !== 1);
  expect(wrong.slice(0, 5)).toEqual([]);
}

async function leftoverLines(migrationId: string): Promise<string[]> {
  const events = await listMigrationEvents(t.h.db, migrationId);
  return events.map((e) => (e.details as { leftover?: string } | null)?.leftover).filter((x): x is string => x !== undefined);
}

describe("a migration whose destination database is dropped during the copy", () => {
  it("is given up at once: the source keeps the shardlet and every acknowledged event, once", async () => {
    const s = await shardletWithRows(0);
    const dest = await extraHost("lost-dropped");
    const producers = t.produceWhile(s.range);
    const id = await t.approve(s.id, dest.id);
    let chunks = 0;
    t.hooks.afterStep = async (step) => {
      if (step === "copy.chunk" && ++chunks === 2) await admin(`DROP DATABASE "${dest.database}" WITH (FORCE)`);
    };
    const results = await t.runToEnd(id);
    t.hooks.afterStep = undefined;
    const produced = await producers.stop();
    expect(produced).toBeGreaterThan(0);

    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ status: "failed", phase: "failed" });
    const m = await t.migration(id);
    expect(m.error).toMatch(/the destination host lost-dropped is gone: its database no longer exists/);
    expect(m.error).toMatch(/the source left authoritative/);
    // Its copy went with the database: nothing is left for the sweep to try.
    expect(await leftoverLines(id)).toEqual(["skipped"]);
    await expectServedFrom(s, s.epoch + 1);
  });
});

describe("a migration cancelled while its destination is closed to connections", () => {
  it("is cancelled within the bound, and the partial copy is removed once the destination is back", async () => {
    const s = await shardletWithRows(1);
    const dest = await extraHost("lost-closed");
    // A worker of its own, whose clock the test moves on: it has just swept.
    let skew = 0;
    const worker = { ...t.h.deps, clock: () => Date.now() + skew };
    await runMigrationScheduler(worker);
    const id = await t.approve(s.id, dest.id);
    let chunks = 0;
    t.hooks.afterStep = async (step) => {
      if (step !== "copy.chunk" || ++chunks !== 2) return;
      await admin(`ALTER DATABASE "${dest.database}" ALLOW_CONNECTIONS false`);
      await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${dest.database}'`);
      await t.h.db.migration.update({ where: { id }, data: { cancelRequested: true } });
    };
    const started = Date.now();
    const results = await t.runToEnd(id);
    t.hooks.afterStep = undefined;
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(results.at(-1)).toMatchObject({ status: "cancelled", phase: "cancelled" });
    const lines = (await listMigrationEvents(t.h.db, id)).map((e) => e.message);
    expect(lines.some((l) => /^Destination not cleaned: the host lost-closed refuses connections/.test(l))).toBe(true);
    expect(await leftoverLines(id)).toEqual(["pending"]);
    await expectServedFrom(s, s.epoch + 1);

    // Swept while the destination is still closed: nothing happens.
    expect((await runMigrationScheduler(t.h.deps)).started).toBe(0);
    expect(await leftoverLines(id)).toEqual(["pending"]);

    // Back: the next scheduler run removes the copy (the fence first, then the rows).
    await admin(`ALTER DATABASE "${dest.database}" ALLOW_CONNECTIONS true`);
    const direct = new HostDriver(dest.dsn, { poolSize: 1 });
    try {
      const count = () =>
        direct.withClient((c) =>
          c.query<{ n: number }>("SELECT count(*)::int AS n FROM sc_events WHERE stream_id = $1 AND key_hash >= $2 AND key_hash < $3", [t.h.streamId, s.range.lo, s.range.hi]),
        );
      expect((await count()).rows[0]!.n).toBeGreaterThan(0);
      expect(await direct.getFence(s.id)).toMatchObject({ state: "shadow" });
      // The worker sweeps once a minute, not on every scheduler run; it never tried the host, so
      // no backoff holds the leftover (a host that did not answer is tried again after one).
      await runMigrationScheduler(worker);
      expect(await leftoverLines(id)).toEqual(["pending"]);
      skew += 60_000;
      await runMigrationScheduler(worker);
      expect(await leftoverLines(id)).toEqual(["pending", "cleaned"]);
      expect((await count()).rows[0]!.n).toBe(0);
      expect(await direct.getFence(s.id)).toBeNull();
    } finally {
      await direct.close();
    }
    expect(await t.onHost(s.hostId, s.range)).toEqual(t.expected(s.range));
  });
});

describe("a migration whose destination database is dropped as the switch begins", () => {
  it("undoes the switch: the shardlet reopens on the source at the switch epoch", async () => {
    const s = await shardletWithRows(2);
    const dest = await extraHost("lost-at-switch");
    const id = await t.approve(s.id, dest.id);
    t.hooks.afterPhase = async (phase) => {
      if (phase !== "switching") return;
      await t.write(s.range, 50, { inRangeShare: 1 });
      await admin(`DROP DATABASE "${dest.database}" WITH (FORCE)`);
    };
    const results = await t.runToEnd(id);
    t.hooks.afterPhase = undefined;
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({ status: "failed", phase: "failed" });
    const m = await t.migration(id);
    expect(m.error).toMatch(/the destination host lost-at-switch is gone: its database no longer exists.*the switch was undone/);
    expect(await leftoverLines(id)).toEqual(["pending", "skipped"]);
    await expectServedFrom(s, s.epoch + 2);
  });
});

describe("a migration whose destination host is no longer registered", () => {
  it("is given up without it", async () => {
    const s = await shardletWithRows(3);
    const dest = await extraHost("lost-unregistered");
    const id = await t.approve(s.id, dest.id);
    t.hooks.afterStep = (step) => {
      if (step !== "copy.fences") return;
      t.hooks.afterStep = undefined;
      throw new Error("worker stopped");
    };
    await expect(t.runToEnd(id)).rejects.toThrow(/worker stopped/);
    await t.h.db.host.delete({ where: { id: dest.id } });
    await t.h.hosts.evict(dest.id);
    const results = await t.runToEnd(id);
    expect(results.at(-1)).toMatchObject({ status: "failed", phase: "failed" });
    expect((await t.migration(id)).error).toMatch(/is no longer registered/);
    // No sweep can reach a host that is no longer registered: its copy is not left to one.
    expect(await leftoverLines(id)).toEqual(["skipped"]);
    expect(await sweepDestinationLeftovers({ ...t.h.deps })).toEqual({ cleaned: 0, skipped: 0, pending: 0 });
    await expectServedFrom(s, s.epoch + 1);
  });
});

describe("a cancel whose run stops after leaving the copy to the sweep", () => {
  it("says the copy was cleaned when a later run removes it, so the sweep does not", async () => {
    const s = await shardletWithRows(1);
    const dest = await extraHost("lost-then-back");
    const placed = await t.h.db.shardlet.findUniqueOrThrow({ where: { id: s.id }, include: { shard: true } });
    const home = await t.h.driver(placed.shard.homeHostId);
    const id = await t.approve(s.id, dest.id);
    let chunks = 0;
    t.hooks.afterStep = async (step) => {
      if (step !== "copy.chunk" || ++chunks !== 2) return;
      await admin(`ALTER DATABASE "${dest.database}" ALLOW_CONNECTIONS false`);
      await admin(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${dest.database}'`);
      // The overflow drain after the undo fails, so the run stops before the migration ends.
      await home.withClient((c) => c.query("ALTER TABLE sc_overflow RENAME TO sc_overflow_away"));
      await t.h.db.migration.update({ where: { id }, data: { cancelRequested: true } });
    };
    try {
      await expect(t.runToEnd(id)).rejects.toThrow(/sc_overflow/);
    } finally {
      t.hooks.afterStep = undefined;
      await home.withClient((c) => c.query("ALTER TABLE IF EXISTS sc_overflow_away RENAME TO sc_overflow"));
    }
    expect(await leftoverLines(id)).toEqual(["pending"]);

    await admin(`ALTER DATABASE "${dest.database}" ALLOW_CONNECTIONS true`);
    const results = await t.runToEnd(id);
    expect(results.at(-1)).toMatchObject({ status: "cancelled", phase: "cancelled" });
    expect(await leftoverLines(id)).toEqual(["pending", "cleaned"]);
    expect((await listDestinationLeftovers(t.h.db, new Date(0))).map((l) => l.migrationId)).not.toContain(id);
    await expectServedFrom(s, s.epoch + 1);
  });
});
