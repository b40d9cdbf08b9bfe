import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { applyHostSchema, HOST_SCHEMA_VERSION, HostDriver } from "../src/index.ts";
import { createTestHostDb } from "../src/testing.ts";
import { event, waitFor } from "./helpers.ts";

describe("host storage", () => {
  let host: { dsn: string; drop: () => Promise<void> };
  let driver: HostDriver;
  const streamId = "stream-a";
  const shardletId = "shardlet-1";

  beforeAll(async () => {
    host = await createTestHostDb();
    driver = new HostDriver(host.dsn, { poolSize: 4 });
    await driver.setFence(shardletId, streamId, 1, "active", { lo: 0, hi: 2 ** 32 });
  });
  afterAll(async () => {
    await driver?.close();
    await host?.drop();
  });

  it("applies the schema idempotently and records its version", async () => {
    expect(await applyHostSchema(host.dsn)).toBe(HOST_SCHEMA_VERSION);
    expect(await applyHostSchema(host.dsn)).toBe(HOST_SCHEMA_VERSION);
    const applied = await driver.withClient((c) => c.query<{ id: number }>("SELECT id FROM sc_host_migrations ORDER BY id"));
    expect(applied.rows.map((r) => r.id)).toEqual(Array.from({ length: HOST_SCHEMA_VERSION }, (_, i) => i + 1));
  });

  it("stores a batch behind the fence and accounts it", async () => {
    const events = [event(1, "alice", { id: "e-1" }), event(2, "bob"), event(3, "alice", { type: "click" })];
    const res = await driver.fencedWrite({ streamId, shardletId, epoch: 1, events });
    expect(res).toEqual({ ok: true, inserted: 3, duplicates: [], part: expect.any(Number) as number });
    expect(await driver.countEvents(streamId)).toBe(3);
    const totals = await driver.foldStats();
    const bytes = events.reduce((s, e) => s + e.sizeBytes, 0);
    expect(totals).toEqual([{ shardletId, events: 3, bytes }]);
    // Folding again moves nothing new but still reports the totals.
    expect(await driver.foldStats()).toEqual([{ shardletId, events: 3, bytes }]);
  });

  it("stores a repeated event id once and returns the original seq", async () => {
    const res = await driver.fencedWrite({
      streamId,
      shardletId,
      epoch: 1,
      events: [event(10, "carol"), event(11, "alice", { id: "e-1" }), event(12, "dave", { id: "e-12" }), event(13, "dave", { id: "e-12" })],
    });
    expect(res).toEqual({ ok: true, inserted: 2, duplicates: [{ index: 1, seq: 1 }, { index: 3, seq: 12 }], part: expect.any(Number) as number });
    const stored = await driver.readByPosition({ streamId, afterSeq: 9, maxSeq: 100, limit: 10 });
    expect(stored.events.map((e) => e.seq)).toEqual([10, 12]);
    const [t] = await driver.foldStats();
    expect(t?.events).toBe(5);
  });

  it("rejects a stale epoch and stores nothing", async () => {
    const other = "shardlet-2";
    await driver.setFence(other, streamId, 3, "active");
    const before = await driver.countEvents();
    const res = await driver.fencedWrite({ streamId, shardletId: other, epoch: 2, events: [event(20, "erin")] });
    expect(res).toEqual({ ok: false, reason: "fenced", currentEpoch: 3, currentState: "active" });
    // Right epoch, but the shardlet is being migrated: also fenced.
    await driver.setFence(other, streamId, 3, "migrating");
    const res2 = await driver.fencedWrite({ streamId, shardletId: other, epoch: 3, events: [event(21, "erin")] });
    expect(res2).toEqual({ ok: false, reason: "fenced", currentEpoch: 3, currentState: "migrating" });
    // Unknown shardlet: no fence row at all.
    const res3 = await driver.fencedWrite({ streamId, shardletId: "nope", epoch: 1, events: [event(22, "erin")] });
    expect(res3).toEqual({ ok: false, reason: "fenced", currentEpoch: null, currentState: null });
    expect(await driver.countEvents()).toBe(before);
    expect((await driver.foldStats()).find((t) => t.shardletId === other)).toBeUndefined();
  });

  it("never lowers an epoch", async () => {
    const s = "shardlet-3";
    expect((await driver.setFence(s, streamId, 5, "active")).applied).toBe(true);
    const stale = await driver.setFence(s, streamId, 4, "active");
    expect(stale).toMatchObject({ applied: false, epoch: 5, state: "active" });
  });

  it("an epoch raise waits for a write in flight; later writes at the old epoch are fenced", async () => {
    const s = "shardlet-race";
    await driver.setFence(s, streamId, 1, "active");
    const probe = new pg.Client({ connectionString: host.dsn });
    const blocker = new pg.Client({ connectionString: host.dsn });
    await probe.connect();
    await blocker.connect();
    try {
      // An uncommitted record of the same event id makes the fenced write wait inside its
      // statement, after it has share-locked the fence row: a write held in flight.
      await blocker.query("BEGIN");
      await blocker.query("INSERT INTO sc_event_ids (stream_id, event_id, seq, part) VALUES ($1, 'race-1', 999, 1)", [streamId]);
      const order: string[] = [];
      const write = driver
        .fencedWrite({ streamId, shardletId: s, epoch: 1, events: [event(100, "k"), event(101, "k", { id: "race-1" })] })
        .then((r) => {
          order.push("write");
          return r;
        });
      const waiting = async (pattern: string) => {
        const r = await probe.query(
          "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE $1",
          [pattern],
        );
        return (r.rows[0] as { n: number }).n > 0;
      };
      await waitFor("the write to wait on the blocker", () => waiting("%unnest%INSERT INTO sc_event_ids%"));
      const raise = driver.setFence(s, streamId, 2, "active").then((r) => {
        order.push("raise");
        return r;
      });
      await waitFor("the epoch raise to wait on the write", () => waiting("%INSERT INTO sc_fence%"));
      expect(order).toEqual([]);
      await blocker.query("ROLLBACK");
      // Both commit once the blocker is gone, on two connections: which reply node reads first
      // is a client-side race, so the order is asserted above, while the write is held.
      const [w, f] = await Promise.all([write, raise]);
      expect(w).toEqual({ ok: true, inserted: 2, duplicates: [], part: expect.any(Number) as number });
      expect(f).toMatchObject({ applied: true, epoch: 2 });
      const late = await driver.fencedWrite({ streamId, shardletId: s, epoch: 1, events: [event(102, "k")] });
      expect(late).toEqual({ ok: false, reason: "fenced", currentEpoch: 2, currentState: "active" });
      const stored = await driver.readByPosition({ streamId, afterSeq: 99, maxSeq: 200, limit: 10 });
      expect(stored.events.map((e) => e.seq)).toEqual([100, 101]);
    } finally {
      await blocker.end();
      await probe.end();
    }
  });

  it("reads by key with a time window and by position up to the watermark", async () => {
    const s = "shardlet-read";
    const sid = "stream-read";
    await driver.setFence(s, sid, 1, "active");
    const t0 = 1_800_000_000_000;
    const res = await driver.fencedWrite({
      streamId: sid,
      shardletId: s,
      epoch: 1,
      events: [
        event(1, "u1", { ts: t0, payload: { a: 1 }, type: "view" }),
        event(2, "u2", { ts: t0 + 5 }),
        event(3, "u1", { ts: t0 + 10, payload: { a: 2 } }),
        event(4, "u1", { ts: t0 + 20, payload: { a: 3, nested: { ok: true } } }),
        event(5, "u2", { ts: t0 + 25 }),
      ],
    });
    expect(res.ok).toBe(true);
    const { events: all, more } = await driver.readByKey({ streamId: sid, key: "u1", limit: 10 });
    expect(more).toBe(false);
    expect(all.map((e) => e.seq)).toEqual([1, 3, 4]);
    expect(all[0]).toEqual({ streamId: sid, seq: 1, shardletId: s, key: "u1", id: null, type: "view", ts: t0, payload: { a: 1 } });
    expect(all[2]?.payload).toEqual({ a: 3, nested: { ok: true } });
    const window = await driver.readByKey({ streamId: sid, key: "u1", fromTs: t0 + 10, toTs: t0 + 20, limit: 10 });
    expect(window.events.map((e) => e.seq)).toEqual([3]);
    expect(await driver.readByKey({ streamId: sid, key: "u1", limit: 2 })).toMatchObject({ events: [{ seq: 1 }, { seq: 3 }], more: true });
    // A continuation names the time it continues from: a position alone is refused, not answered with nothing.
    expect((await driver.readByKey({ streamId: sid, key: "u1", fromTs: t0, afterSeq: 1, limit: 10 })).events.map((e) => e.seq)).toEqual([3, 4]);
    await expect(driver.readByKey({ streamId: sid, key: "u1", afterSeq: 1, limit: 10 })).rejects.toMatchObject({ code: "bad_request" });
    const page = await driver.readByPosition({ streamId: sid, afterSeq: 1, maxSeq: 4, limit: 10 });
    expect(page.events.map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(page.completeTo).toBe(4);
    // Cut by count: the last position may lack an overflow copy, so the answer ends before it.
    const cut = await driver.readByPosition({ streamId: sid, afterSeq: 0, maxSeq: 10, limit: 3 });
    expect(cut.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(cut.completeTo).toBe(2);
    expect((await driver.recentEvents(sid, 2)).map((e) => e.seq)).toEqual([5, 4]);
    expect(await driver.countEvents(sid)).toBe(5);
  });

  it("stores every kind of JSON payload as sent, in the order of its batch", async () => {
    const s = "shardlet-json";
    const sid = "stream-json";
    await driver.setFence(s, sid, 1, "active");
    const payloads: unknown[] = [
      { quote: 'say "hi"', backslash: "a\\b\\", newline: "x\ny", tab: "\t" },
      { unicode: "żółw 🐢 \u00e9", array: [1, "two", [3], { four: null }] },
      null,
      "a bare string with a , comma and a ] bracket",
      42.5,
      [],
      { deep: { deeper: { deepest: [true, false] } }, "key with \"quotes\"": 1 },
    ];
    const events = payloads.map((payload, i) => {
      const e = event(i + 1, `k${i}`);
      const payloadJson = JSON.stringify(payload);
      return { ...e, payloadJson, sizeBytes: payloadJson.length + e.key.length };
    });
    const res = await driver.fencedWrite({ streamId: sid, shardletId: s, epoch: 1, events });
    expect(res).toMatchObject({ ok: true, inserted: payloads.length });
    const page = await driver.readByPosition({ streamId: sid, afterSeq: 0, maxSeq: payloads.length, limit: 100 });
    expect(page.events.map((e) => e.payload)).toEqual(payloads);
    expect(page.events.map((e) => e.key)).toEqual(events.map((e) => e.key));
  });

  it("reports server stats and answers pings", async () => {
    const stats = await driver.serverStats();
    expect(stats.sizeBytes).toBeGreaterThan(0);
    expect(stats.connections).toBeGreaterThan(0);
    expect(await driver.ping()).toBeGreaterThanOrEqual(0);
  });
});
