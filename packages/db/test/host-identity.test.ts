import { afterEach, describe, expect, it } from "vitest";
import { getClusterId, HostDriver, readHostIdentity, upgradeHostSchemas, type ControlDb, type HostIdentity } from "../src/index.ts";
import { createTestControlDb, createTestHostDb } from "../src/testing.ts";

async function markerOf(dsn: string): Promise<HostIdentity | null> {
  const driver = new HostDriver(dsn, { poolSize: 1 });
  try {
    return await readHostIdentity(driver);
  } finally {
    await driver.close();
  }
}

/** A host row as registration before identity markers made it (no marker in its database). */
async function unmarkedHost(db: ControlDb, name: string, dsn: string): Promise<string> {
  return (await db.host.create({ data: { name, dsn, capacityBytes: 1024 ** 3, capacityEventsPerSec: 1_000 } })).id;
}

describe("host identity markers", () => {
  const drops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const drop of drops.splice(0)) await drop().catch(() => undefined);
  });

  it("keeps one cluster id per control database", async () => {
    const [a, b] = await Promise.all([createTestControlDb(), createTestControlDb()]);
    drops.push(a.drop, b.drop);
    const ids = await Promise.all([getClusterId(a.db), getClusterId(a.db), getClusterId(a.db)]);
    expect(new Set(ids).size).toBe(1);
    expect(await getClusterId(a.db)).toBe(ids[0]);
    expect(await getClusterId(b.db)).not.toBe(ids[0]);
  });

  it("marks hosts registered before markers at the schema upgrade, and reports two hosts on one database", async () => {
    const control = await createTestControlDb();
    const [one, two] = await Promise.all([createTestHostDb({ schema: false }), createTestHostDb({ schema: false })]);
    drops.push(control.drop, one.drop, two.drop);
    const first = await unmarkedHost(control.db, "old-1", one.dsn);
    const second = await unmarkedHost(control.db, "old-2", two.dsn);
    const alias = new URL(one.dsn);
    alias.searchParams.set("application_name", "alias");
    await unmarkedHost(control.db, "old-1-alias", alias.toString());

    const lines: string[] = [];
    expect(await upgradeHostSchemas(control.db, (l) => lines.push(l))).toEqual([]);
    const clusterId = await getClusterId(control.db);
    expect(await markerOf(one.dsn)).toMatchObject({ hostId: first, hostName: "old-1", clusterId });
    expect(await markerOf(two.dsn)).toMatchObject({ hostId: second, hostName: "old-2", clusterId });
    expect(lines.filter((l) => l.includes("marked"))).toEqual([
      'host old-1-alias: its database is marked as host "old-1": both hosts are one database (or one is a copy of the other); moves between them are refused',
    ]);

    // A second run changes nothing.
    const before = await markerOf(one.dsn);
    await upgradeHostSchemas(control.db);
    expect(await markerOf(one.dsn)).toEqual(before);
  });
});
