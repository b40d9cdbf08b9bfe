import { afterEach, describe, expect, it } from "vitest";
import { listHosts, rewriteHostDsns, type ControlDb } from "../src/index.ts";
import { createTestControlDb } from "../src/testing.ts";

async function addHost(db: ControlDb, name: string, dsn: string): Promise<void> {
  await db.host.create({ data: { name, dsn, capacityBytes: 1024 ** 3, capacityEventsPerSec: 1_000 } });
}

async function dsnsByName(db: ControlDb): Promise<Record<string, string>> {
  const rows = await db.host.findMany({ select: { name: true, dsn: true } });
  return Object.fromEntries(rows.map((r) => [r.name, r.dsn]));
}

describe("rewriteHostDsns", () => {
  const drops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const drop of drops.splice(0)) await drop().catch(() => undefined);
  });

  it("changes only the hosts the rewrite answers for, and names them", async () => {
    const control = await createTestControlDb();
    drops.push(control.drop);
    await addHost(control.db, "a", "postgres://u:p@127.0.0.1:1111/a");
    await addHost(control.db, "b", "postgres://u:p@127.0.0.1:2222/b");
    await addHost(control.db, "c", "postgres://u:p@127.0.0.1:1111/c");
    const changed = await rewriteHostDsns(control.db, (dsn) => (dsn.includes(":1111/") ? dsn.replace(":1111/", ":3333/") : null));
    expect(changed).toEqual(["a", "c"]);
    expect(await dsnsByName(control.db)).toEqual({
      a: "postgres://u:p@127.0.0.1:3333/a",
      b: "postgres://u:p@127.0.0.1:2222/b",
      c: "postgres://u:p@127.0.0.1:3333/c",
    });
    // What callers see stays redacted.
    expect((await listHosts(control.db)).map((h) => h.dsn).join(" ")).not.toContain(":p@");
    expect(await rewriteHostDsns(control.db, (dsn) => (dsn.includes(":1111/") ? dsn.replace(":1111/", ":3333/") : null))).toEqual([]);
  });

  it("refuses a rewrite that is not a DSN and stores nothing of it", async () => {
    const control = await createTestControlDb();
    drops.push(control.drop);
    await addHost(control.db, "a", "postgres://u:p@127.0.0.1:1111/a");
    await expect(rewriteHostDsns(control.db, () => "mysql://nope")).rejects.toThrow(/postgres:\/\//);
    expect(await dsnsByName(control.db)).toEqual({ a: "postgres://u:p@127.0.0.1:1111/a" });
  });
});
