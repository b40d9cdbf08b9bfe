import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bucketStart, decodeBucket, telemetryRedisKeys, type TelemetryDeltas } from "@shardcast/core";
import { createLogger } from "@shardcast/runtime";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { TelemetryCounters } from "../src/telemetry/counters.ts";
import { TelemetryFlusher } from "../src/telemetry/flusher.ts";
import { readerIdentity } from "../src/telemetry/readers.ts";
import { storedBytes } from "../src/stored-bytes.ts";

const REDIS_URL = testRedisUrl();
const log = createLogger({ app: "edge-telemetry-test" }, { level: "error" });
/** 10 s buckets: the clock sits in the middle of one. */
let now = 1_800_000_005_000;
const clock = () => now;

const ev = (key: string, sizeBytes: number) => ({ key, sizeBytes });
const to = (shardletId: string, duplicate = false) => ({ shardletId, duplicate });

describe("counters", () => {
  it("counts stored events per shardlet, skipping duplicates and unstored events, with event-weighted latency", () => {
    const c = new TelemetryCounters({ clock });
    c.recordWrites("s1", [ev("a", 10), ev("b", 20), ev("a", 30), ev("c", 40), ev("a", 5)], [to("x"), to("y"), to("x"), to("y", true), undefined], 8);
    c.recordWrites("s1", [ev("a", 1)], [to("x")], 2);
    const d = c.drain();
    const b = bucketStart(now, 10);
    expect(d.shardlets).toEqual([
      { bucketStart: b, streamId: "s1", shardletId: "x", writes: 3, reads: 0, bytesWritten: 41, bytesRead: 0, latencySumMs: 18, latencyCount: 3, latencyMaxMs: 8 },
      { bucketStart: b, streamId: "s1", shardletId: "y", writes: 1, reads: 0, bytesWritten: 20, bytesRead: 0, latencySumMs: 8, latencyCount: 1, latencyMaxMs: 8 },
    ]);
    expect(d.hotKeys).toEqual([
      { bucketStart: b, streamId: "s1", key: "a", writes: 3, reads: 0, error: 0 },
      { bucketStart: b, streamId: "s1", key: "b", writes: 1, reads: 0, error: 0 },
    ]);
    expect(c.drain()).toEqual({ shardlets: [], hotKeys: [], clients: [] });
  });

  it("counts reads per shardlet and per client with the lowest position read, splits buckets by time, and caps reader cardinality", () => {
    const c = new TelemetryCounters({ clock, maxReadersPerStream: 2 });
    const r = (key: string, shardletId: string, bytes = 7, seq = 50) => ({ key, shardletId, bytes, seq });
    c.recordReads("s1", [r("a", "x", 7, 40), r("a", "x", 7, 41), r("b", "y")], { client: "c1", group: "g" });
    c.recordReads("s1", [r("a", "x", 7, 12)], { client: "c2", group: "g" });
    c.recordReads("s1", [r("a", "x")], { client: "c3", group: "g" }); // third reader: over the cap
    now += 10_000;
    c.recordReads("s1", [r("b", "y", 3)], { client: "c3", group: "g" }); // next bucket: under the cap again
    const d = c.drain();
    const b0 = bucketStart(now - 10_000, 10);
    const b1 = bucketStart(now, 10);
    expect(d.shardlets.map((s) => [s.bucketStart, s.shardletId, s.reads, s.bytesRead, s.minSeqRead])).toEqual([
      [b0, "x", 4, 28, 12],
      [b0, "y", 1, 7, 50],
      [b1, "y", 1, 3, 50],
    ]);
    expect(d.clients.map((x) => [x.bucketStart, x.shardletId, x.client, x.clientGroup, x.reads])).toEqual([
      [b0, "x", "c1", "g", 2],
      [b0, "y", "c1", "g", 1],
      [b0, "x", "c2", "g", 1],
      [b0, "x", "_other", "_other", 1],
      [b1, "y", "c3", "g", 1],
    ]);
    expect(d.hotKeys.filter((h) => h.bucketStart === b0).map((h) => [h.key, h.reads])).toEqual([
      ["a", 4],
      ["b", 1],
    ]);
  });

  it("sends hot keys' guaranteed counts: a flood of distinct keys is not reported as hot, and the error covers what a hot key may have missed", () => {
    const c = new TelemetryCounters({ clock, sketchCapacity: 8, hotKeysPerFlush: 4 });
    // Distinct keys fill every counter with inherited counts before the hot key shows up.
    const events = Array.from({ length: 1_000 }, (_, i) => ev(i >= 600 && i % 2 === 0 ? "hot" : `user-${i}`, 1));
    c.recordWrites("s1", events, events.map(() => to("x")), 1);
    // A key written from the start but never read, on a stream whose reads are all distinct: the
    // read sketch does not monitor it, so it may hide up to its smallest counter of its reads.
    c.recordWrites("s2", Array.from({ length: 10 }, () => ev("quiet", 1)), Array.from({ length: 10 }, () => to("y")), 1);
    c.recordReads("s2", Array.from({ length: 100 }, (_, i) => ({ key: `r-${i}`, shardletId: "y", bytes: 1, seq: i })), { client: "c", group: "g" });
    const d = c.drain().hotKeys;
    const hot = d.filter((k) => k.streamId === "s1");
    const h = hot.find((k) => k.key === "hot")!;
    expect(hot[0]).toBe(h);
    expect(h.writes).toBeLessThanOrEqual(200);
    expect(h.writes + h.error).toBeGreaterThanOrEqual(200);
    expect(h.reads).toBe(0);
    expect(d.find((k) => k.key === "quiet")).toMatchObject({ streamId: "s2", writes: 10, reads: 0, error: Math.floor(100 / 8) });
    // Every other key was written or read once.
    for (const k of hot) if (k !== h) expect(k.writes + k.reads).toBeLessThanOrEqual(1);
  });

  it("names readers from headers, else from the API key", () => {
    expect(readerIdentity({ "x-shardcast-client": " billing svc ", "x-shardcast-client-group": "batch" }, "producer")).toEqual({ client: "billing_svc", group: "batch" });
    expect(readerIdentity({}, "my key")).toEqual({ client: "my_key", group: "default" });
    expect(readerIdentity({ "x-shardcast-client": "\t" }, "k")).toEqual({ client: "k", group: "default" });
    // A consumer group's poll: its group's name unless a header names another.
    expect(readerIdentity({}, "k", "audit trail")).toEqual({ client: "k", group: "audit_trail" });
    expect(readerIdentity({ "x-shardcast-client-group": "batch" }, "k", "audit")).toEqual({ client: "k", group: "batch" });
  });

  it("measures a returned event as the write path measured it", () => {
    expect(storedBytes({ key: "ké", type: "t", id: null, payload: { a: 1 } })).toBe(7 + 3 + 1);
  });
});

describe("flusher", () => {
  const prefix = `edge-tm-${randomUUID()}`;
  const keys = telemetryRedisKeys(prefix);
  let redis: Redis;
  let reader: Redis;

  beforeAll(() => {
    redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    reader = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    const left = [...(await reader.keys(`${prefix}:*`)), ...(await reader.keys(`{${prefix}}:*`))];
    if (left.length) await reader.del(...left);
    redis.disconnect();
    await reader.quit();
  });

  async function redisContents(): Promise<TelemetryDeltas> {
    const out: TelemetryDeltas = { shardlets: [], hotKeys: [], clients: [] };
    for (const m of await reader.zrange(keys.dirty, 0, -1)) {
      const b = Number(m);
      const d = decodeBucket(b, {
        counters: await reader.hgetall(keys.bucket("c", b)),
        maxima: await reader.zrange(keys.bucket("x", b), 0, -1, "WITHSCORES"),
        hotKeys: await reader.hgetall(keys.bucket("k", b)),
        clients: await reader.hgetall(keys.bucket("r", b)),
        minima: await reader.zrange(keys.bucket("n", b), 0, -1, "WITHSCORES"),
      });
      expect(d.malformed).toBe(0);
      out.shardlets.push(...d.deltas.shardlets);
      out.hotKeys.push(...d.deltas.hotKeys);
      out.clients.push(...d.deltas.clients);
    }
    return out;
  }

  it("sends counters in one transaction, keeps them across a failed flush and sends them later", async () => {
    const counters = new TelemetryCounters({ clock });
    const flusher = new TelemetryFlusher({ redis, prefix, counters, log, everyMs: 60_000, ttlSec: 600 });
    counters.recordWrites("s1", [ev("k1", 100), ev("k2", 50)], [to("x"), to("x")], 4);
    counters.recordReads("s1", [{ key: "k1", shardletId: "x", bytes: 100, seq: 9 }], { client: "c", group: "g" });
    expect(await flusher.flush()).toEqual({ ok: true, rows: 4 });
    expect(await reader.ttl(keys.bucket("c", bucketStart(now, 10)))).toBeGreaterThan(500);

    // Redis unreachable: the flush fails and the counters wait.
    redis.disconnect();
    counters.recordWrites("s1", [ev("k1", 10)], [to("x")], 12);
    expect((await flusher.flush()).ok).toBe(false);
    await redis.connect();
    counters.recordWrites("s1", [ev("k3", 1)], [to("y")], 1);
    // A later read of higher positions in the same bucket does not raise the lowest one sent.
    counters.recordReads("s1", [{ key: "k1", shardletId: "x", bytes: 0, seq: 30 }], { client: "c", group: "g" });
    const sent = await flusher.stop();
    expect(sent.ok).toBe(true);
    expect(flusher.droppedRows).toBe(0);

    const got = await redisContents();
    const byShardlet = Object.fromEntries(got.shardlets.map((s) => [s.shardletId, s]));
    expect(byShardlet.x).toMatchObject({ writes: 3, reads: 2, bytesWritten: 160, bytesRead: 100, latencySumMs: 20, latencyCount: 3, latencyMaxMs: 12, minSeqRead: 9 });
    expect(byShardlet.y).toMatchObject({ writes: 1, bytesWritten: 1, latencyMaxMs: 1 });
    expect(byShardlet.y!.minSeqRead).toBeUndefined();
    expect(Object.fromEntries(got.hotKeys.map((h) => [h.key, [h.writes, h.reads]]))).toEqual({ k1: [2, 2], k2: [1, 0], k3: [1, 0] });
    expect(got.clients).toEqual([expect.objectContaining({ shardletId: "x", client: "c", clientGroup: "g", reads: 2 })]);
  });

  it("drops the oldest counters past the pending bound while Redis stays away", async () => {
    const counters = new TelemetryCounters({ clock });
    const down = new Redis("redis://127.0.0.1:1", { maxRetriesPerRequest: 0, enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => null });
    const flusher = new TelemetryFlusher({ redis: down, prefix, counters, log, everyMs: 60_000, maxPendingRows: 3 });
    for (let i = 0; i < 3; i++) {
      counters.recordWrites("s1", [ev(`a${i}`, 1)], [to(`x${i}`)], 1); // 2 rows per flush
      expect((await flusher.flush()).ok).toBe(false);
    }
    expect(flusher.droppedRows).toBe(4);
    down.disconnect();
  });
});
