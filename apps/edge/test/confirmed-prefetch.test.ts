import { waitFor } from "@shardcast/db/testing";
import { CORRELATION_STEP_MS, createRedis, writePrefetchMap } from "@shardcast/runtime";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, post, startHarness, type Harness } from "./harness.ts";

/**
 * Waiting for an announcement's first read on a real edge: a type that announces two shardlets
 * fetches nothing when it is written; the predicted reader's read of one brings the other into the
 * cache, whose read is then a hit with the same events the hosts hold.
 */

let h: Harness;
let redis: Redis;
let ids: string[];

const read = async (id: string, after: number, client = "reporter") => {
  const res = await fetch(`${h.url}/v1/streams/${h.stream}/shardlets/${id}/events?after=${after}&limit=1000`, { headers: { authorization: `Bearer ${h.token}`, "x-shardcast-client": client } });
  expect(res.status).toBe(200);
  return { cache: res.headers.get("x-shardcast-cache"), body: (await res.json()) as { events: Array<{ id: string }>; next: number } };
};
const write = async (tag: string, n: number, type?: string) => {
  const events = Array.from({ length: n }, (_, i) => ({ key: `${tag}-${i}`, id: `${tag}-${i}`, ...(type ? { type } : {}), payload: { i } }));
  expect((await post(h, `/v1/streams/${h.stream}/events`, { events })).status).toBe(200);
};

beforeAll(async () => {
  h = await startHarness({ shardCount: 2, edge: { readCache: { maxBytes: 8 * 1024 * 1024, prefetchBytesPerSec: 64 * 1024 * 1024 } } });
  redis = createRedis(testRedisUrl());
  await write("a", 200);
  ids = ((await get(h, `/v1/streams/${h.stream}/shardlets`)).body.shardlets as Array<{ id: string }>).map((s) => s.id);
  expect(ids.length).toBeGreaterThanOrEqual(2);
}, 60_000);

afterAll(async () => {
  await redis?.quit();
  await h?.close();
});

describe("prefetch after an announcement's first read", () => {
  it("fetches nothing at the announcement, and the other shardlet once the reader has read one", async () => {
    const [first, second] = ids as [string, string];
    const row = { p: 0.7, lagSteps: 1, lift: 5, target: "reporter" };
    await writePrefetchMap(redis, h.prefix, { streamId: h.streamId, at: Date.now(), stepMs: CORRELATION_STEP_MS, threshold: 0.5, map: { order_placed: { [first]: row, [second]: row } } });
    await h.edge.readCache.loadMaps();
    // The reader's earlier reads tell the edge where it stands on both shardlets.
    const at = { first: (await read(first, 0)).body.next, second: (await read(second, 0)).body.next };
    await write("b", 200);
    const prefetched = () => h.edge.readCache.stats.total.prefetchedBytes;
    const before = prefetched();

    await write("announce", 1, "order_placed");
    await waitFor("the edge records the announcement of both shardlets", () => h.edge.readCache.announced.pending === 2);
    // Nothing is queued, so nothing will be due: the type waits for the first read.
    expect(h.edge.readCache.queue.size).toBe(0);
    expect(await h.edge.readCache.prefetchDue()).toBe(0);
    // Another client's read confirms nothing.
    await read(first, at.first, "someone-else");
    expect(h.edge.readCache.queue.size).toBe(0);
    await h.edge.readCache.prefetchDue();
    expect(prefetched()).toBe(before);

    const got = await read(first, at.first);
    expect(got.body.events.length).toBeGreaterThan(0);
    // The first read brought the other shardlet, due now (the edge's own tick may take it first).
    await waitFor("the other shardlet is prefetched", async () => {
      await h.edge.readCache.prefetchDue();
      return prefetched() > before;
    });
    const hit = await read(second, at.second);
    expect(hit.cache).toBe("hit");
    // What was written since the reader's last read (the coherency tests hold a hit to the hosts' answer).
    expect(hit.body.events.length).toBeGreaterThan(0);
    expect(hit.body.events.every((e) => e.id.startsWith("b-"))).toBe(true);
  });
});
