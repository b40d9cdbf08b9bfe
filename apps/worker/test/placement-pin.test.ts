import { PLACEMENT_SETTINGS_KEY } from "@shardcast/core";
import { listOperations, listShardlets, updateSetting, type ShardletInfo } from "@shardcast/db";
import { waitFor } from "@shardcast/db/testing";
import { readPinSet, readPlacementState } from "@shardcast/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPlacement } from "../src/placement/run.ts";
import { startLifecycleHarness, type LifecycleHarness } from "./lifecycle-harness.ts";

/**
 * The placement bandit's cache-pin arm against a real edge (with its shard cache) and Redis: a
 * shardlet whose reads missed the cache is pinned and the edge loads the pin, the next run
 * rewards it from the edge's cache snapshot (the share of reads turned into hits), and once its
 * reads miss again the reward falls below leave and the shardlet is unpinned after its grace runs.
 */

let h: LifecycleHarness;
const CONTEXT = "reads:missed groups:none";

/** A shardlet's events through the edge's cached consumer range read, `limit` per page; the number of pages. */
async function readShardlet(id: string, after: number, limit: number): Promise<number> {
  let pages = 0;
  for (;;) {
    const res = await fetch(`${h.edgeUrl}/v1/streams/${h.stream}/shardlets/${id}/events?after=${after}&limit=${limit}`, { headers: { authorization: `Bearer ${h.token}` } });
    expect(res.status).toBe(200);
    const page = (await res.json()) as { next: number; watermark: number };
    pages++;
    if (page.next >= page.watermark || page.next === after) return pages;
    after = page.next;
  }
}

async function write(s: ShardletInfo, n: number): Promise<void> {
  for (let i = 0; i < n; i += 50) await h.produce(Array.from({ length: 50 }, () => ({ key: h.keyIn(s.lo, s.hi), id: h.nextId() })));
}

beforeAll(async () => {
  h = await startLifecycleHarness({ hosts: 1, shardCount: 1, shardletsPerShard: 2 });
  // Nothing is old enough to archive nor read hard enough to replicate: this run is about pins only.
  await updateSetting(h.db, PLACEMENT_SETTINGS_KEY, { archiveAfterSec: 86_400, replicaMinReadsPerSec: 1e6, leaveReward: 0.3, exploration: 0.5, maxPins: 4 }, null);
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe("placement.run cache-pin arm", () => {
  it("pins a shardlet whose reads missed, rewards it from the edges' snapshots, and unpins it when the reward falls below leave", async () => {
    const [a, b] = (await listShardlets(h.db, { streamId: h.streamId })).filter((s) => s.state === "active");
    await write(a!, 300);
    const ctx = { redis: h.redis, prefix: h.prefix };
    const cache = h.edge.readCache;
    // The first read of each page misses: the cache has nothing of the shardlet yet.
    const pages = await readShardlet(a!.id, 0, 50);
    expect(pages).toBeGreaterThanOrEqual(6);
    await cache.publish();

    const first = await runPlacement(h.deps, ctx);
    expect(first).toMatchObject({ pinned: 1, unpinned: 0 });
    expect((await readPinSet(h.redis, h.prefix))!.pins.map((p) => p.shardletId)).toEqual([a!.id]);
    await waitFor("the edge loads the pin", () => cache.cache.pinned().some((p) => p.shardletId === a!.id));
    const [op] = await listOperations(h.db, { kind: "placement.pin", limit: 5 });
    expect(op).toMatchObject({ shardletId: a!.id });
    expect(op!.message).toMatch(new RegExp(`cache-pin: ${pages} of ${pages} reads missed`));
    let state = await readPlacementState(h.redis, h.prefix, 0.5);
    expect(state.pins[a!.id]).toMatchObject({ missRatioBefore: 1, runs: 1, context: CONTEXT });
    expect(state.recent.find((d) => d.arm === "cache-pin")).toMatchObject({ shardletId: a!.id, reward: null });
    expect(state.pins[b!.id]).toBeUndefined();

    // Read again while pinned: every page is served from the cache. The reward is the misses it
    // removed, discounted by the share of the pin budget the entry takes.
    expect(await readShardlet(a!.id, 0, 50)).toBe(pages);
    await cache.publish();
    const [held] = cache.cache.pinned();
    const expected = 1 - held!.bytes / (0.25 * cache.cache.maxBytes);
    expect(await runPlacement(h.deps, ctx)).toMatchObject({ pinned: 0, unpinned: 0 });
    state = await readPlacementState(h.redis, h.prefix, 0.5);
    const v = state.bandit.values(CONTEXT)["cache-pin"];
    expect(v.pulls).toBe(1);
    expect(v.mean).toBeCloseTo(expected, 6);
    expect(state.recent.find((d) => d.arm === "cache-pin")!.reward).toBeCloseTo(expected, 6);

    // New events read ahead of the entry, page by page, all miss: the pin no longer pays.
    await write(a!, 300);
    const missed = await readShardlet(a!.id, 300, 10);
    expect(missed).toBeGreaterThanOrEqual(30);
    await cache.publish();
    const reward = Math.max(0, 1 - missed / (missed + pages)) * (1 - cache.cache.pinned()[0]!.bytes / (0.25 * cache.cache.maxBytes));
    expect(reward).toBeLessThan(0.3);
    // Still in its grace runs, then unpinned.
    expect(await runPlacement(h.deps, ctx)).toMatchObject({ unpinned: 0 });
    expect(await runPlacement(h.deps, ctx)).toMatchObject({ unpinned: 1, pinned: 0 });
    state = await readPlacementState(h.redis, h.prefix, 0.5);
    expect(state.pins).toEqual({});
    const unpin = state.recent.find((d) => d.arm === "unpin")!;
    expect(unpin.reward).toBeCloseTo(reward, 6);
    expect(unpin.reason).toMatch(/below the bar 0.3/);
    expect((await listOperations(h.db, { kind: "placement.unpin", limit: 5 }))[0]).toMatchObject({ shardletId: a!.id });
    expect((await readPinSet(h.redis, h.prefix))!.pins).toEqual([]);
    await waitFor("the edge drops the pin", () => cache.cache.pinned().length === 0);
  });
});
