import { waitFor } from "@shardcast/db/testing";
import { createRedis, readEdgeCacheCounts, writePinSet } from "@shardcast/runtime";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, post, startHarness, type Harness } from "./harness.ts";

/**
 * Pins of the placement job's cache-pin arm on a real edge: the pin set is loaded when it is
 * announced, a pinned shardlet's entry survives a flood of reads of other shardlets that evicts
 * theirs, and once unpinned it is evicted like any other.
 */

const BUDGET = 64 * 1024;
let h: Harness;
let redis: Redis;
let ids: string[];

const read = async (id: string) => {
  const res = await get(h, `/v1/streams/${h.stream}/shardlets/${id}/events?after=0&limit=1000`);
  expect(res.status).toBe(200);
  return res.body.events as Array<{ id: string }>;
};
const cached = (id: string) => h.edge.readCache.cache.reach(h.streamId, id) !== null;
const announce = (pins: string[]) => writePinSet(redis, h.prefix, { at: Date.now(), budgetShare: 0.25, pins: pins.map((shardletId) => ({ streamId: h.streamId, shardletId, since: Date.now() })) });

beforeAll(async () => {
  h = await startHarness({ shardCount: 8, edge: { readCache: { maxBytes: BUDGET, prefetchBytesPerSec: 0 } } });
  redis = createRedis(testRedisUrl());
  // About 50 events of ~200 bytes per shardlet: one shardlet's entry is a sixth of the budget, all sixteen twice it.
  const pad = "x".repeat(120);
  for (let b = 0; b < 4; b++) {
    const events = Array.from({ length: 200 }, (_, i) => ({ key: `p-${b}-${i}`, id: `p-${b}-${i}`, payload: { pad } }));
    expect((await post(h, `/v1/streams/${h.stream}/events`, { events })).status).toBe(200);
  }
  ids = ((await get(h, `/v1/streams/${h.stream}/shardlets`)).body.shardlets as Array<{ id: string }>).map((s) => s.id);
  expect(ids).toHaveLength(16);
}, 60_000);

afterAll(async () => {
  await redis?.quit();
  await h?.close();
});

describe("cache pins on the edge", () => {
  it("keeps a pinned shardlet's entry through a flood of other reads, and evicts it normally once unpinned", async () => {
    const [pinned, ...others] = ids as [string, ...string[]];
    await announce([pinned]);
    await waitFor("the edge loads the announced pin", () => h.edge.readCache.cache.pinned().some((p) => p.shardletId === pinned));
    const events = await read(pinned);
    const [entry] = h.edge.readCache.cache.pinned();
    expect(entry!.bytes).toBeGreaterThan(0);
    expect(entry!.bytes).toBeLessThanOrEqual(BUDGET / 4);
    expect(entry!.shielded).toBe(true);

    for (const id of others) await read(id);
    expect(h.edge.readCache.cache.bytes).toBeLessThanOrEqual(BUDGET);
    // First reads miss nothing the cache had held: no evicted misses.
    expect(h.edge.readCache.stats.total.evictedMisses).toBe(0);
    // The flood evicted the other shardlets read first; the pinned one is still served from memory.
    expect(cached(others[0]!)).toBe(false);
    expect(cached(pinned)).toBe(true);
    const hits = h.edge.readCache.stats.total.hits;
    expect(await read(pinned)).toEqual(events);
    expect(h.edge.readCache.stats.total.hits).toBe(hits + 1);

    // Its counters and bytes go out with the edge's snapshot, for the placement job's reward.
    await h.edge.readCache.publish();
    const [snap] = await readEdgeCacheCounts(redis, h.prefix, Date.now());
    expect(snap!.pinned).toEqual([{ streamId: h.streamId, shardletId: pinned, bytes: entry!.bytes, shielded: true }]);
    expect(snap!.shardlets.find((s) => s.shardletId === pinned)).toMatchObject({ hits: 1, misses: 1 });

    await announce([]);
    await waitFor("the edge loads the unpin", () => h.edge.readCache.cache.pinned().length === 0);
    for (const id of others) await read(id);
    expect(cached(pinned)).toBe(false);
    // Read again, it misses inside what its evicted entry held: a miss a pin would have saved.
    const stats = h.edge.readCache.stats.total;
    const evicted = stats.evictedMisses;
    expect(await read(pinned)).toEqual(events);
    expect(stats.evictedMisses).toBe(evicted + 1);
  });
});
