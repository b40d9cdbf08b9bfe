import { listMigrationEvents } from "@shardcast/db";
import { createTestHostDb } from "@shardcast/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMigration } from "../src/migration/machine.ts";
import { startMigrationHarness, type MigrationHarness } from "./migration-harness.ts";

/**
 * Two hosts whose DSNs name one database (registered before registration could tell, or restored
 * so): a move between them would copy a shardlet's rows onto themselves and then delete them as
 * the source's. Registration refuses such a pair now, so the pair is written straight into the
 * control database here; the mover must refuse the move, or at least delete nothing.
 */

let t: MigrationHarness;
const drops: Array<() => Promise<void>> = [];

beforeAll(async () => {
  t = await startMigrationHarness();
  await t.settings({ chunkRows: 100, rowsPerSecond: 0, cleanupGraceMs: 200 });
});

afterAll(async () => {
  await t?.close();
  for (const drop of drops) await drop().catch(() => undefined);
});

/** Another spelling of a DSN: same server, same database. */
function respelled(dsn: string): string {
  const url = new URL(dsn);
  url.protocol = "postgresql:";
  url.searchParams.set("application_name", "shardcast-alias");
  return url.toString();
}

async function dsnOf(hostId: string): Promise<string> {
  return (await t.h.db.host.findUniqueOrThrow({ where: { id: hostId }, select: { dsn: true } })).dsn;
}

/** A host row straight in the control database, as registration before identity markers made it. */
async function hostRow(name: string, dsn: string): Promise<string> {
  const row = await t.h.db.host.create({ data: { name, dsn, capacityBytes: 10 * 1024 ** 3, capacityEventsPerSec: 5_000 } });
  return row.id;
}

/** The n-th active shardlet of the stream, with events written into its range. */
async function shardletWithRows(n: number) {
  const shardlets = await t.h.db.shardlet.findMany({ where: { streamId: t.h.streamId, state: "active" }, orderBy: { lo: "asc" } });
  const s = shardlets[n]!;
  const range = { lo: Number(s.lo), hi: Number(s.hi) };
  await t.write(range, 600, { inRangeShare: 1 });
  const before = await t.onHost(s.hostId, range);
  expect(before).toEqual(t.expected(range));
  expect(before.rows).toBeGreaterThan(300);
  return { id: s.id, hostId: s.hostId, range, before };
}

async function errorLines(migrationId: string): Promise<string[]> {
  return (await listMigrationEvents(t.h.db, migrationId)).filter((e) => e.level === "error").map((e) => e.message);
}

describe("a move between two hosts on one database", () => {
  it("is refused before anything is copied, and the source keeps every row", async () => {
    const s = await shardletWithRows(0);
    const routeBefore = await t.route(s.id);
    const alias = await hostRow("alias-before-copy", respelled(await dsnOf(s.hostId)));
    const id = await t.approve(s.id, alias);

    const results = await t.runToEnd(id);
    expect(results.at(-1)).toMatchObject({ status: "failed", phase: "failed" });
    const lines = await errorLines(id);
    expect(lines.some((l) => /^Failed: refused: the source host test-host-\d and the destination host alias-before-copy are one database/.test(l) && l.includes("nothing had been copied"))).toBe(true);

    // Nothing changed: same rows, same route and epoch, no shadow host, the fence as it was.
    expect(await t.onHost(s.hostId, s.range)).toEqual(s.before);
    expect(await t.route(s.id)).toMatchObject({ hostId: s.hostId, epoch: routeBefore.epoch, shadowHostId: null });
    expect(await (await t.h.driver(s.hostId)).getFence(s.id)).toMatchObject({ state: "active", epoch: routeBefore.epoch });
    // And the shardlet still takes writes.
    await t.write(s.range, 50, { inRangeShare: 1 });
    expect(await t.onHost(s.hostId, s.range)).toEqual(t.expected(s.range));
  });

  it("stops a copy under way once the destination turns out to be the source's database, deleting nothing", async () => {
    const s = await shardletWithRows(1);
    // The destination is a database of its own when the copy starts ...
    const other = await createTestHostDb();
    drops.push(other.drop);
    const alias = await hostRow("alias-during-copy", other.dsn);
    const id = await t.approve(s.id, alias);
    t.hooks.afterStep = (step) => {
      if (step === "copy.chunk") throw new Error("worker stopped after a chunk");
    };
    await expect(runMigration(t.h.deps, id)).rejects.toThrow(/worker stopped after a chunk/);
    t.hooks.afterStep = undefined;
    expect((await t.migration(id)).phase).toBe("copying");
    const copyEpoch = (await t.route(s.id)).epoch;

    // ... and the source's database under another DSN when the next run resumes it.
    await t.h.db.host.update({ where: { id: alias }, data: { dsn: respelled(await dsnOf(s.hostId)) } });
    await t.h.hosts.evict(alias);
    const results = await t.runToEnd(id);
    expect(results.at(-1)).toMatchObject({ status: "failed", phase: "failed" });
    expect((await errorLines(id)).some((l) => l.includes("are one database") && l.includes("nothing was deleted"))).toBe(true);

    expect(await t.onHost(s.hostId, s.range)).toEqual(s.before);
    expect(await t.route(s.id)).toMatchObject({ hostId: s.hostId, epoch: copyEpoch, shadowHostId: null });
    expect(await (await t.h.driver(s.hostId)).getFence(s.id)).toMatchObject({ state: "active", epoch: copyEpoch });
    await t.write(s.range, 50, { inRangeShare: 1 });
    expect(await t.onHost(s.hostId, s.range)).toEqual(t.expected(s.range));
  });

  it("keeps the rows when a migration past the switch finds its hosts on one database", async () => {
    const s = await shardletWithRows(2);
    const alias = await hostRow("alias-cleanup", respelled(await dsnOf(s.hostId)));
    // As the switch leaves it: the mapping names the destination, the source's rows wait for the cleanup.
    const id = await t.approve(s.id, alias, { phase: "cleanup" });
    await t.h.db.shardlet.update({ where: { id: s.id }, data: { hostId: alias } });

    const results = await t.runToEnd(id);
    expect(await t.onHost(s.hostId, s.range)).toEqual(s.before);
    expect(results.at(-1)).toMatchObject({ status: "done" });
    expect((await errorLines(id)).some((l) => l.startsWith("Cleanup skipped, nothing deleted: the source host") && l.includes("are one database"))).toBe(true);
    expect(await (await t.h.driver(s.hostId)).getFence(s.id)).toMatchObject({ state: "active" });
  });
});
