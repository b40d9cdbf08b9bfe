import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bucketStart, telemetryRedisKeys } from "@shardcast/core";
import { waitFor } from "@shardcast/core/testing";
import { createLogger, createRedis } from "@shardcast/runtime";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { startTcpProxy, type TcpProxy } from "@shardcast/runtime/testing/tcp-proxy";
import { TelemetryCounters } from "../src/telemetry/counters.ts";
import { TelemetryFlusher } from "../src/telemetry/flusher.ts";

const REDIS_URL = testRedisUrl();
const log = createLogger({ app: "edge-telemetry-lost-reply-test" }, { level: "error" });
const now = 1_800_000_005_000;
const clock = () => now;
const bucket = bucketStart(now, 10);

/**
 * A flush Redis applied whose reply never came back: neither ioredis (which sends a command left
 * unanswered by a dropped connection again on the next one) nor the flusher (which sends a flush it
 * did not hear back about with its next) may make it count twice.
 */
describe("a flush whose reply is lost after Redis applied it", () => {
  let proxy: TcpProxy;
  let reader: Redis;
  const prefixes: string[] = [];

  beforeAll(async () => {
    proxy = await startTcpProxy(REDIS_URL, 6379);
    reader = new Redis(REDIS_URL);
  });
  afterAll(async () => {
    for (const prefix of prefixes) {
      const left = await reader.keys(`{${prefix}}:*`);
      if (left.length) await reader.del(...left);
    }
    await proxy.close();
    await reader.quit();
  });

  function setup(redis: Redis) {
    const prefix = `edge-tm-lost-${randomUUID()}`;
    prefixes.push(prefix);
    const counters = new TelemetryCounters({ clock });
    const flusher = new TelemetryFlusher({ redis, prefix, counters, log, everyMs: 60_000, ttlSec: 600 });
    const countersKey = telemetryRedisKeys(prefix).bucket("c", bucket);
    const write = (shardletId: string, n: number) =>
      counters.recordWrites(
        "s1",
        Array.from({ length: n }, (_, i) => ({ key: `k${i}`, sizeBytes: 10 })),
        Array.from({ length: n }, () => ({ shardletId, duplicate: false })),
        3,
      );
    const writes = async (shardletId: string) => Number((await reader.hget(countersKey, `s1\t${shardletId}\tw`)) ?? 0);
    return { prefix, flusher, write, writes };
  }

  /** Loses the reply to the next flush, waits until Redis has applied it, then drops the connection. */
  async function flushLosingReply(redis: Redis, flusher: TelemetryFlusher, applied: () => Promise<boolean>) {
    await redis.ping(); // connected: the request that loses its reply is the flush
    proxy.loseReplies();
    const flushed = flusher.flush();
    await waitFor("the flush to be applied", applied);
    proxy.cut();
    return flushed;
  }

  it("counts once when the client sends the unanswered flush again on its own", async () => {
    // The edge's own client: it sends commands a dropped connection left unanswered again.
    const redis = createRedis(proxy.url, { name: "telemetry-lost-reply" });
    try {
      const { prefix, flusher, write, writes } = setup(redis);
      write("x", 3);
      expect(await flushLosingReply(redis, flusher, async () => (await writes("x")) > 0)).toEqual({ ok: true, rows: 4 });
      write("x", 2);
      expect((await flusher.stop()).ok).toBe(true);
      expect(await writes("x")).toBe(5);
      // One marker left at most (the last flush's), expiring with the counters.
      const markers = await reader.keys(`{${prefix}}:tm-flushed:*`);
      expect(markers.length).toBeLessThanOrEqual(1);
      for (const m of markers) expect(await reader.ttl(m)).toBeLessThanOrEqual(600);
    } finally {
      redis.disconnect();
    }
  });

  it("counts once when the flush fails and is sent again with the next, which also sends what was counted since", async () => {
    // A client that gives up on a command at the first dropped connection: the flush fails, its outcome unknown.
    const redis = new Redis(proxy.url, { maxRetriesPerRequest: 0, retryStrategy: () => 20 });
    try {
      const { flusher, write, writes } = setup(redis);
      write("x", 3);
      expect((await flushLosingReply(redis, flusher, async () => (await writes("x")) > 0)).ok).toBe(false);
      write("x", 2);
      write("y", 1);
      await waitFor("the client to reconnect", () => redis.status === "ready");
      expect((await flusher.flush()).ok).toBe(true);
      expect([await writes("x"), await writes("y")]).toEqual([5, 1]);
      expect(flusher.droppedRows).toBe(0);
      // Nothing is left to send: another flush changes nothing.
      expect(await flusher.stop()).toEqual({ ok: true, rows: 0 });
      expect([await writes("x"), await writes("y")]).toEqual([5, 1]);
    } finally {
      redis.disconnect();
    }
  });
});
