import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyShardletTotals } from "@shardcast/db";
import { createTestHostDb } from "@shardcast/db/testing";
import { apiKeyChannel, routingChannel } from "@shardcast/runtime";
import { nextMessage, startHarness, type Harness } from "./harness.ts";
import { seedEvents } from "./events.ts";

/** What the console manages and shows: streams and their shard map, hosts, api keys, the overview. */

describe("console api", () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  describe("streams", () => {
    let operator: string;
    beforeAll(async () => {
      operator = await h.sessionFor("operator");
    });

    it("validates input with a message per field", async () => {
      const res = await h.call("mutation", "streams.create", { name: "Bad Name", shardCount: 0 }, operator);
      expect(res.status).toBe(400);
      expect(res.error?.data.scCode).toBe("validation_failed");
      const paths = res.error?.data.details?.rejected?.map((r) => r.path).sort();
      expect(paths).toEqual(["name", "shardCount"]);
      expect(res.error?.message).toContain("shardCount: shard count must be at least 1");
      const tooMany = await h.call("mutation", "streams.create", { name: "big", shardCount: 1025 }, operator);
      expect(tooMany.error?.message).toContain("at most 1024");
    });

    it("creates a stream, announces the routing change and logs the operation", async () => {
      let id = "";
      const message = await nextMessage(routingChannel(h.prefix), async () => {
        const res = await h.call<{ id: string; name: string }>("mutation", "streams.create", { name: "orders", shardCount: 3, shardletsPerShard: 2 }, operator);
        expect(res.status).toBe(200);
        id = res.data!.id;
      });
      expect(message).toEqual({ streamId: id });

      const list = await h.call<{ streams: Array<{ name: string; shardCount: number; shardletCount: number }> }>("query", "streams.list", undefined, operator);
      expect(list.data?.streams.find((s) => s.name === "orders")).toMatchObject({ shardCount: 3, shardletCount: 6 });

      const ops = await h.call<{ operations: Array<{ kind: string; streamId: string | null; actor: string | null }> }>(
        "query",
        "operations.list",
        { kind: "stream.create" },
        operator,
      );
      expect(ops.data?.operations[0]).toMatchObject({ kind: "stream.create", streamId: id });
      expect(ops.data?.operations[0]?.actor).toMatch(/^operator-/);
    });

    it("maps a domain conflict to 409 with its message", async () => {
      const res = await h.call("mutation", "streams.create", { name: "orders", shardCount: 1 }, operator);
      expect(res.status).toBe(409);
      expect(res.error?.data.scCode).toBe("conflict");
      expect(res.error?.message).toBe('a stream named "orders" already exists');
    });

    it("shows shards, shardlets and the newest events read from the hosts", async () => {
      const stream = await h.call<{ stream: { id: string } }>("query", "streams.get", { name: "orders" }, operator);
      const streamId = stream.data!.stream.id;
      const keys = Array.from({ length: 40 }, (_, i) => `k-${i}`);
      await seedEvents(h, streamId, keys);

      const res = await h.call<{
        shards: Array<{ index: number; shardletCount: number; range: { loHex: string; lastHex: string } }>;
        shardlets: Array<{ hostName: string; epoch: number }>;
        recentEvents: Array<{ seq: number; key: string; payload: string }>;
        edgeUrl: string;
      }>("query", "streams.get", { name: "orders", eventLimit: 10 }, operator);
      expect(res.status).toBe(200);
      const d = res.data!;
      expect(d.shards.map((s) => s.index)).toEqual([0, 1, 2]);
      expect(d.shards.every((s) => s.shardletCount === 2)).toBe(true);
      expect(d.shards[0]!.range.loHex).toBe("0x00000000");
      expect(d.shards[2]!.range.lastHex).toBe("0xffffffff");
      expect(new Set(d.shardlets.map((s) => s.hostName))).toEqual(new Set(["h1", "h2"]));
      // Newest first across hosts: the last 10 sequence numbers issued.
      expect(d.recentEvents.map((e) => e.seq)).toEqual([40, 39, 38, 37, 36, 35, 34, 33, 32, 31]);
      expect(d.recentEvents[0]).toMatchObject({ key: "k-39", payload: '{"i":39}' });
      expect(d.edgeUrl).toBe("http://edge.test:4000");

      const missing = await h.call("query", "streams.get", { name: "nope" }, operator);
      expect(missing.status).toBe(404);
      expect(missing.error?.message).toBe('Stream "nope" does not exist.');
    });

    it("shows per-host shardlets with event counts on the shard map once totals are folded", async () => {
      const stream = await h.call<{ stream: { id: string } }>("query", "streams.get", { name: "orders" }, operator);
      const streamId = stream.data!.stream.id;
      for (const hostId of h.hostIds) await applyShardletTotals(h.db, await (await h.hosts.get(hostId)).foldStats());

      const res = await h.call<{
        hosts: Array<{ name: string; eventCount: number; shardlets: Array<{ streamName: string; eventCount: number; epoch: number; fullness: number; range: { widthPct: number } }> }>;
      }>("query", "shardmap.byHost", { streamId }, operator);
      expect(res.status).toBe(200);
      const all = res.data!.hosts.flatMap((x) => x.shardlets);
      expect(all).toHaveLength(6);
      expect(all.every((s) => s.streamName === "orders" && s.epoch === 1)).toBe(true);
      expect(all.reduce((sum, s) => sum + s.eventCount, 0)).toBe(40);
      expect(all.reduce((sum, s) => sum + s.range.widthPct, 0)).toBeCloseTo(100, 6);
      expect(all.some((s) => s.fullness > 0)).toBe(true);
    });
  });

  describe("hosts", () => {
    it("never returns a DSN's password", async () => {
      const admin = await h.sessionFor("admin");
      const extra = await createTestHostDb();
      try {
        // Trust auth ignores the password, so the DSN works and still carries a secret.
        const dsn = extra.dsn.replace("postgres://postgres@", "postgres://postgres:s3cret-pw@");
        const reg = await h.call<{ host: { dsn: string } }>("mutation", "hosts.register", { name: "h-secret", dsn }, admin);
        expect(reg.status).toBe(200);
        expect(reg.data?.host.dsn).not.toContain("s3cret-pw");
        const list = await h.call("query", "hosts.list", undefined, admin);
        expect(JSON.stringify(list.data)).not.toContain("s3cret-pw");
        expect(JSON.stringify(list.data)).toContain("***");

        const bad = await h.call("mutation", "hosts.register", { name: "h-bad", dsn: "postgres://postgres:other-secret@127.0.0.1:1/none" }, admin);
        expect(bad.status).toBeGreaterThanOrEqual(400);
        expect(bad.error?.message).not.toContain("other-secret");
      } finally {
        await h.hosts.closeAll();
        await extra.drop().catch(() => undefined);
      }
    });
  });

  describe("api keys", () => {
    it("creates a key whose token is shown once, lists it and announces its revocation", async () => {
      const admin = await h.sessionFor("admin");
      const created = await h.call<{ id: string; prefix: string; token: string }>(
        "mutation",
        "apikeys.create",
        { name: "producer", streams: ["orders"], canProduce: true, canConsume: false },
        admin,
      );
      expect(created.status).toBe(200);
      const { id, prefix, token } = created.data!;
      expect(token).toMatch(new RegExp(`^sc_${prefix}_`));

      const list = await h.call<{ keys: Array<{ id: string; streams: string[]; revokedAt: Date | null }> }>("query", "apikeys.list", undefined, admin);
      expect(list.data?.keys.find((k) => k.id === id)).toMatchObject({ streams: ["orders"], revokedAt: null });
      expect(JSON.stringify(list.data)).not.toContain(token);

      const message = await nextMessage(apiKeyChannel(h.prefix), async () => {
        expect((await h.call("mutation", "apikeys.revoke", { id }, admin)).status).toBe(200);
      });
      expect(message).toEqual({ prefix });
      const after = await h.call<{ keys: Array<{ id: string; revokedAt: Date | null }> }>("query", "apikeys.list", undefined, admin);
      expect(after.data?.keys.find((k) => k.id === id)?.revokedAt).toBeInstanceOf(Date);
      // Revoking again answers the same and audits nothing new.
      const audited = () => h.db.operation.count({ where: { kind: "apikey.revoke", details: { path: ["keyId"], equals: id } } });
      expect(await audited()).toBe(1);
      expect((await h.call("mutation", "apikeys.revoke", { id }, admin)).status).toBe(200);
      expect(await audited()).toBe(1);

      expect((await h.call("mutation", "apikeys.revoke", { id: "missing" }, admin)).status).toBe(404);
      const bad = await h.call("mutation", "apikeys.create", { name: "", streams: [] }, admin);
      expect(bad.status).toBe(400);
    });

    it("sets a key's rate limits (admins only), lists them, audits and announces the change", async () => {
      const admin = await h.sessionFor("admin");
      const operator = await h.sessionFor("operator");
      const created = await h.call<{ id: string; prefix: string }>("mutation", "apikeys.create", { name: "limited", streams: ["*"] }, admin);
      const { id, prefix } = created.data!;
      const quota = { produceEventsPerSec: 100, produceBytesPerSec: 65_536, readEventsPerSec: null, readBytesPerSec: null };
      expect((await h.call("mutation", "apikeys.setQuota", { id, quota }, operator)).status).toBe(403);
      const message = await nextMessage(apiKeyChannel(h.prefix), async () => {
        expect((await h.call("mutation", "apikeys.setQuota", { id, quota }, admin)).status).toBe(200);
      });
      expect(message).toEqual({ prefix });
      const list = await h.call<{ keys: Array<{ id: string; quota: typeof quota }> }>("query", "apikeys.list", undefined, admin);
      expect(list.data?.keys.find((k) => k.id === id)?.quota).toEqual(quota);
      expect(await h.db.operation.count({ where: { kind: "apikey.quota" } })).toBe(1);
      const zero = await h.call("mutation", "apikeys.setQuota", { id, quota: { ...quota, readEventsPerSec: 0 } }, admin);
      expect(zero.status).toBe(400);
      expect((await h.call("mutation", "apikeys.setQuota", { id: "missing", quota }, admin)).status).toBe(404);
    });
  });

  describe("overview", () => {
    it("summarises hosts, totals and recent operations", async () => {
      const viewer = await h.sessionFor("viewer");
      const res = await h.call<{ totals: { streams: number; hosts: number; events: number }; operations: unknown[]; ingest: unknown[]; alerts: unknown[] }>(
        "query",
        "overview.summary",
        undefined,
        viewer,
      );
      expect(res.status).toBe(200);
      expect(res.data?.totals.streams).toBe(1);
      expect(res.data?.totals.hosts).toBeGreaterThanOrEqual(2);
      expect(res.data?.totals.events).toBe(40);
      expect(res.data?.operations.length).toBeGreaterThan(0);
    });

    it("charts the cluster's ingest rate, not the sum of the per-stream and cluster samples", async () => {
      const viewer = await h.sessionFor("viewer");
      const at = new Date();
      const stream = await h.db.stream.findFirstOrThrow();
      await h.db.metricSample.createMany({
        data: [
          { name: "ingest.events_per_s", at, streamId: stream.id, value: 120 },
          { name: "ingest.events_per_s", at, streamId: null, value: 120 },
        ],
      });
      const res = await h.call<{ ingest: Array<{ at: string | number | Date; value: number }> }>("query", "overview.summary", undefined, viewer);
      expect(res.status).toBe(200);
      const point = res.data?.ingest.find((p) => new Date(p.at).getTime() === at.getTime());
      expect(point?.value).toBe(120);
    });

    it("charts up to the latest sample with 40 streams recording over the whole window", async () => {
      const viewer = await h.sessionFor("viewer");
      // What the worker records every 5 s: each stream's rate and the cluster's (no stream, no host).
      const newest = Date.now();
      const rows = [];
      for (let at = newest - 30 * 60_000; at <= newest; at += 5_000) {
        for (let s = 0; s < 40; s++) rows.push({ name: "ingest.events_per_s", at: new Date(at), streamId: `load-${s}`, value: 45 });
        rows.push({ name: "ingest.events_per_s", at: new Date(at), streamId: null, value: 1_800 });
      }
      await h.db.metricSample.createMany({ data: rows });
      const res = await h.call<{ ingest: Array<{ at: string | number | Date; value: number }>; currentRate: number | null }>(
        "query",
        "overview.summary",
        { windowMinutes: 30 },
        viewer,
      );
      expect(res.status).toBe(200);
      const ingest = res.data!.ingest;
      expect(new Date(ingest.at(-1)!.at).getTime()).toBe(newest);
      expect(res.data!.currentRate).toBe(1_800);
      // The window is measured from the query, a moment after the newest sample: the oldest may fall out.
      expect(ingest.filter((p) => p.value === 1_800).length).toBeGreaterThanOrEqual(350);
    });
  });
});
