import { HASH_SPACE, RoutingTable, ShardcastError } from "@shardcast/core";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createStream,
  getStreamByName,
  HostPool,
  listHosts,
  listShardlets,
  listShards,
  listStreams,
  loadRoutes,
  registerHost,
  reserveSequence,
  type ControlDb,
  type HostInfo,
} from "../src/index.ts";
import { createTestControlDb, createTestHostDb } from "../src/testing.ts";

function withPassword(dsn: string, password: string): string {
  const u = new URL(dsn);
  u.password = password;
  return u.toString();
}

describe("hosts and streams", () => {
  let control: { url: string; db: ControlDb; drop: () => Promise<void> };
  let db: ControlDb;
  let pool: HostPool;
  const hostDbs: Array<{ dsn: string; drop: () => Promise<void> }> = [];
  let hosts: HostInfo[] = [];

  beforeAll(async () => {
    control = await createTestControlDb();
    db = control.db;
    pool = new HostPool(db, { poolSize: 3 });
    for (let i = 0; i < 3; i++) hostDbs.push(await createTestHostDb({ schema: false }));
  });
  afterAll(async () => {
    await pool?.closeAll();
    await control?.drop();
    for (const h of hostDbs) await h.drop();
  });

  describe("registerHost", () => {
    it("rejects a DSN that is not a postgres URL, storing nothing", async () => {
      for (const dsn of ["not a url", "mysql://root:pw@127.0.0.1/x", "postgres://127.0.0.1"]) {
        const err = await registerHost(db, { name: "bad", dsn }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ShardcastError);
        expect((err as ShardcastError).code).toBe("validation_failed");
        expect((err as ShardcastError).message).not.toContain("pw@");
      }
      expect(await listHosts(db)).toEqual([]);
    });

    it("gives a clear, redacted error for an unreachable host or a missing database", async () => {
      const unreachable = await registerHost(db, { name: "gone", dsn: "postgres://sc:s3cr3t-pw@127.0.0.1:1/hostdb" }).catch((e: unknown) => e);
      expect(unreachable).toBeInstanceOf(ShardcastError);
      expect((unreachable as ShardcastError).code).toBe("unavailable");
      expect((unreachable as ShardcastError).message).toMatch(/cannot connect to host postgres:\/\/sc:\*\*\*@127\.0\.0\.1:1\/hostdb/);
      expect((unreachable as ShardcastError).message).not.toContain("s3cr3t-pw");

      const admin = new URL(hostDbs[0]!.dsn);
      admin.pathname = "/sc_test_does_not_exist";
      const missing = await registerHost(db, { name: "missing", dsn: withPassword(admin.toString(), "s3cr3t-pw") }).catch((e: unknown) => e);
      expect((missing as ShardcastError).code).toBe("unavailable");
      expect((missing as ShardcastError).message).toMatch(/does not exist/);
      expect((missing as ShardcastError).message).not.toContain("s3cr3t-pw");
      expect(await listHosts(db)).toEqual([]);
    });

    it("registers hosts, applies their schema and redacts DSNs in lists", async () => {
      for (let i = 0; i < 3; i++) {
        await registerHost(db, { name: `h${i}`, dsn: hostDbs[i]!.dsn, capacityBytes: 2 ** 40 });
      }
      hosts = await listHosts(db);
      expect(hosts.map((h) => h.name)).toEqual(["h0", "h1", "h2"]);
      expect(hosts[0]).toMatchObject({ capacityBytes: 2 ** 40, status: "active", sizeBytes: 0, eventCount: 0 });
      const client = new pg.Client({ connectionString: hostDbs[0]!.dsn });
      await client.connect();
      try {
        const t = await client.query("SELECT to_regclass('sc_events') IS NOT NULL AS ok");
        expect(t.rows[0]).toEqual({ ok: true });
      } finally {
        await client.end();
      }
      const secret = await registerHost(db, { name: "dup", dsn: hostDbs[0]!.dsn }).catch((e: unknown) => e);
      expect((secret as ShardcastError).code).toBe("conflict");
      const dupName = await registerHost(db, { name: "h0", dsn: withPassword(hostDbs[1]!.dsn, "other") }).catch((e: unknown) => e);
      expect((dupName as ShardcastError).code).toBe("conflict");
    });

    it("never returns a DSN password", async () => {
      const row = await db.host.findFirstOrThrow({ where: { name: "h1" } });
      await db.host.update({ where: { id: row.id }, data: { dsn: withPassword(row.dsn, "hunter2") } });
      const listed = await listHosts(db);
      expect(JSON.stringify(listed)).not.toContain("hunter2");
      expect(listed.find((h) => h.name === "h1")?.dsn).toContain("***");
      await db.host.update({ where: { id: row.id }, data: { dsn: row.dsn } });
    });
  });

  describe("createStream", () => {
    it("tiles the hash space and writes the fences on every host", async () => {
      const stream = await createStream(db, pool, { name: "orders", shardCount: 4, shardletsPerShard: 3, capacityBytes: 1024 * 1024 });
      expect(stream).toMatchObject({ name: "orders", shardCount: 4, keyField: "key", retentionHours: 168, seqReserved: 0 });
      const routes = await loadRoutes(db, stream.id);
      expect(routes).toHaveLength(12);
      expect(routes[0]!.lo).toBe(0);
      expect(routes[routes.length - 1]!.hi).toBe(HASH_SPACE);
      for (let i = 1; i < routes.length; i++) expect(routes[i]!.lo).toBe(routes[i - 1]!.hi);
      expect(new Set(routes.map((r) => r.hostId)).size).toBe(3);
      expect(routes.every((r) => r.epoch === 1 && r.state === "active")).toBe(true);
      const table = RoutingTable.build(stream.id, routes);
      expect(table.size).toBe(12);

      const shards = await listShards(db, stream.id);
      expect(shards.map((s) => s.index)).toEqual([0, 1, 2, 3]);
      expect(shards[3]!.hi).toBe(HASH_SPACE);
      const infos = await listShardlets(db, { streamId: stream.id });
      expect(infos.every((s) => s.capacityBytes === 1024 * 1024 && s.sizeBytes === 0)).toBe(true);

      for (const h of hosts) {
        const driver = await pool.get(h.id);
        const fences = await driver.listFences(stream.id);
        const expected = routes.filter((r) => r.hostId === h.id);
        expect(fences.map((f) => [f.shardletId, f.epoch, f.state, f.lo, f.hi])).toEqual(
          expected.map((r) => [r.id, 1, "active", r.lo, r.hi]),
        );
      }
      // A write at epoch 1 goes through on the owning host.
      const first = routes[0]!;
      const res = await (await pool.get(first.hostId)).fencedWrite({
        streamId: stream.id,
        shardletId: first.id,
        epoch: 1,
        events: [{ key: "k", keyHash: 1, id: null, type: null, ts: Date.now(), payloadJson: "{}", sizeBytes: 3, seq: 1 }],
      });
      expect(res.ok).toBe(true);

      expect((await getStreamByName(db, "orders"))?.id).toBe(stream.id);
      expect(await getStreamByName(db, "nope")).toBeNull();
      const summaries = await listStreams(db);
      expect(summaries).toHaveLength(1);
      expect(summaries[0]).toMatchObject({ name: "orders", shardletCount: 12 });
    });

    it("rejects a duplicate or invalid name", async () => {
      await expect(createStream(db, pool, { name: "orders", shardCount: 1 })).rejects.toMatchObject({ code: "conflict" });
      await expect(createStream(db, pool, { name: "Bad Name!", shardCount: 1 })).rejects.toMatchObject({ code: "validation_failed" });
      await expect(createStream(db, pool, { name: "zero", shardCount: 0 })).rejects.toMatchObject({ code: "bad_request" });
      expect(await getStreamByName(db, "zero")).toBeNull();
    });

    it("rolls back and removes fences when a host write fails", async () => {
      // Make h2 unreachable: its driver is evicted and its DSN points at a closed port.
      const h2 = hosts.find((h) => h.name === "h2")!;
      const real = await db.host.findUniqueOrThrow({ where: { id: h2.id } });
      await pool.evict(h2.id);
      await db.host.update({ where: { id: h2.id }, data: { dsn: "postgres://sc:pw@127.0.0.1:1/gone" } });
      try {
        const err = await createStream(db, pool, { name: "broken", shardCount: 3 }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ShardcastError);
        expect((err as ShardcastError).code).toBe("unavailable");
        expect((err as ShardcastError).message).toContain('"h2"');
        expect(await getStreamByName(db, "broken")).toBeNull();
        expect(await db.shardlet.count()).toBe(12);
        const ordersId = (await getStreamByName(db, "orders"))!.id;
        for (const h of hosts.filter((x) => x.id !== h2.id)) {
          const all = await (await pool.get(h.id)).listFences();
          expect(all.length).toBeGreaterThan(0);
          expect(all.filter((f) => f.streamId !== ordersId)).toEqual([]);
        }
      } finally {
        await db.host.update({ where: { id: h2.id }, data: { dsn: real.dsn } });
        await pool.evict(h2.id);
      }
    });
  });

  describe("reserveSequence", () => {
    it("raises the high-water mark atomically", async () => {
      const stream = (await getStreamByName(db, "orders"))!;
      expect(await reserveSequence(db, stream.id, 0, 1000)).toBe(1000);
      expect(await reserveSequence(db, stream.id, 0, 1000)).toBe(2000);
      expect(await reserveSequence(db, stream.id, 5000, 10)).toBe(5010);
      const marks = await Promise.all(Array.from({ length: 8 }, () => reserveSequence(db, stream.id, 0, 100)));
      expect(new Set(marks).size).toBe(8);
      expect(Math.max(...marks)).toBe(5810);
      expect((await getStreamByName(db, "orders"))?.seqReserved).toBe(5810);
      await expect(reserveSequence(db, "missing", 0, 1)).rejects.toMatchObject({ code: "not_found" });
    });
  });
});
