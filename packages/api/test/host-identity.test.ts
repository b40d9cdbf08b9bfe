import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HostDriver, readHostIdentity, registerHost, retireDrainedHost, setHostDraining, type HostIdentity } from "@shardcast/db";
import { createTestControlDb, createTestHostDb } from "@shardcast/db/testing";
import { startHarness, type Harness } from "./harness.ts";

/**
 * One PostgreSQL database is one storage host, whatever DSN names it: registration reads the
 * identity marker the database carries, so another spelling of a registered host's DSN is refused
 * and a migration can never copy a shardlet onto its own rows and then delete them.
 */

/** Other DSNs of the same database: another scheme name, connection parameters. */
function spellings(dsn: string): string[] {
  const a = new URL(dsn);
  a.protocol = "postgresql:";
  a.searchParams.set("application_name", "shardcast-alias");
  const b = new URL(dsn);
  b.searchParams.set("connect_timeout", "10");
  return [a.toString(), b.toString()];
}

describe("one database, one host", () => {
  let h: Harness;
  let admin: string;
  const drops: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    h = await startHarness({ hosts: 1 });
    admin = await h.sessionFor("admin");
  });
  afterAll(async () => {
    await h?.close();
    for (const drop of drops) await drop().catch(() => undefined);
  });

  async function hostDb(): Promise<string> {
    const db = await createTestHostDb();
    drops.push(db.drop);
    return db.dsn;
  }

  async function marker(dsn: string): Promise<HostIdentity | null> {
    const driver = new HostDriver(dsn, { poolSize: 1 });
    try {
      return await readHostIdentity(driver);
    } finally {
      await driver.close();
    }
  }

  const register = (name: string, dsn: string) => h.call<{ host: { id: string } }>("mutation", "hosts.register", { name, dsn }, admin);

  it("refuses another spelling of a registered host's DSN and stores nothing", async () => {
    const dsn = await hostDb();
    const first = await register("h-one", dsn);
    expect(first.status).toBe(200);
    const hostsBefore = await h.db.host.count();

    for (const [i, other] of spellings(dsn).entries()) {
      const res = await register(`h-one-alias-${i}`, other);
      expect(res.status).toBe(409);
      expect(res.error?.data.scCode).toBe("conflict");
      expect(res.error?.message).toBe('host "h-one" already uses this database: this DSN reaches it under another address, user or parameters');
    }
    expect(await h.db.host.count()).toBe(hostsBefore);
    // The database is marked as the first host, and the refused registrations left it so.
    const marked = await marker(dsn);
    expect(marked).toMatchObject({ hostId: first.data!.host.id, hostName: "h-one" });
    expect(marked?.clusterId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("registers one host when registrations under two spellings arrive at once", async () => {
    for (let round = 0; round < 3; round++) {
      const dsn = await hostDb();
      const names = [`h-race-${round}-a`, `h-race-${round}-b`];
      const [a, b] = spellings(dsn);
      const regs = await Promise.all([register(names[0]!, a!), register(names[1]!, b!)]);
      expect(regs.map((r) => r.status).sort()).toEqual([200, 409]);
      const winner = regs.find((r) => r.status === 200)!.data!.host.id;
      expect(regs.find((r) => r.status === 409)?.error?.message).toMatch(/^host "h-race-\d-[ab]" already uses this database: /);
      expect(await h.db.host.count({ where: { name: { in: names } } })).toBe(1);
      expect((await marker(dsn))?.hostId).toBe(winner);
    }
  });

  it("registers a retired host's database again, under any DSN, and marks it as the new host", async () => {
    const dsn = await hostDb();
    const old = await register("h-retiring", dsn);
    expect(old.status).toBe(200);
    const oldId = old.data!.host.id;
    const oldIdentity = (await marker(dsn))!.identity;
    await setHostDraining(h.db, oldId, true);
    await retireDrainedHost(h.db, oldId, new Date());

    const [other] = spellings(dsn);
    const again = await register("h-successor", other!);
    expect(again.status).toBe(200);
    const now = await marker(dsn);
    expect(now).toMatchObject({ hostId: again.data!.host.id, hostName: "h-successor" });
    expect(now!.identity).not.toBe(oldIdentity);

    // The successor is in service: the retired host's own DSN now names a registered host's database.
    const third = await register("h-third", dsn);
    expect(third.status).toBe(409);
    expect(third.error?.message).toMatch(/^host "h-successor" already uses this database/);

    // Nor can the retired host come back while its successor is in service: two hosts in service on one database.
    const undrain = (hostId: string) => h.call<{ status: string; message: string }>("mutation", "migrations.drainHost", { hostId, drain: false }, admin);
    const back = await undrain(oldId);
    expect(back.status).toBe(409);
    expect(back.error?.message).toMatch(/^Host h-retiring cannot return to service: host "h-successor" already uses this database/);
    expect((await h.db.host.findUnique({ where: { id: oldId } }))?.status).toBe("draining");
    expect(await marker(dsn)).toMatchObject({ hostId: again.data!.host.id });

    // Once the successor is retired in turn, the old host may come back, and its database says so.
    await setHostDraining(h.db, again.data!.host.id, true);
    await retireDrainedHost(h.db, again.data!.host.id, new Date());
    const returned = await undrain(oldId);
    expect(returned.status).toBe(200);
    expect(returned.data?.status).toBe("active");
    expect(await marker(dsn)).toMatchObject({ hostId: oldId, hostName: "h-retiring" });
  });

  it("frees a database whose marker names no host of this control plane", async () => {
    const dsn = await hostDb();
    const gone = await register("h-gone", dsn);
    expect(gone.status).toBe(200);
    // As a registration whose control transaction never committed leaves it.
    await h.db.host.delete({ where: { id: gone.data!.host.id } });
    const back = await register("h-back", spellings(dsn)[0]!);
    expect(back.status).toBe(200);
    expect((await marker(dsn))?.hostId).toBe(back.data!.host.id);
  });

  it("refuses a database another control plane uses, without touching it", async () => {
    const dsn = await hostDb();
    const other = await createTestControlDb();
    drops.push(other.drop);
    const theirs = await registerHost(other.db, { name: "theirs", dsn });
    const marked = await marker(dsn);

    const res = await register("h-mine", dsn);
    expect(res.status).toBe(409);
    expect(res.error?.data.scCode).toBe("conflict");
    expect(res.error?.message).toMatch(/^this database is already storage host "theirs" of another Shardcast control plane \(cluster [0-9a-f-]{36}\)/);
    expect(await h.db.host.count({ where: { name: "h-mine" } })).toBe(0);
    expect(await marker(dsn)).toEqual(marked);
    expect(marked?.hostId).toBe(theirs.id);
  });
});
