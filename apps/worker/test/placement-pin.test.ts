import { PLACEMENT_SETTINGS_KEY, type PlacementSettings } from "@shardcast/core";
import { listOperations, listShardlets, updateSetting, type ShardletInfo } from "@shardcast/db";
import { waitFor } from "@shardcast/db/testing";
import { readPinSet, readPlacementState } from "@shardcast/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runPlacement } from "../src/placement/run.ts";
import { startLifecycleHarness, type LifecycleHarness } from "./lifecycle-harness.ts";

/**
 * The placement bandit's cache-pin arm against a real edge with a small shard cache and Redis.
 * Sixteen shardlets read in turn, each entry a sixth of the cache: every entry is evicted before
 * its shardlet is read again, so reads miss what the cache held. The job pins one (at most one
 * pin here), the edge loads the pin, the next run rewards it from the edge's snapshot (its reads
 * now hit), and once the pin budget no longer shields it its reads miss again, the reward falls
 * below leave and it is unpinned after its grace runs.
 */

let h: LifecycleHarness;
const CONTEXT = "reads:missed groups:none";
const BUDGET = 64 * 1024;
const SETTINGS: Partial<PlacementSettings> = { archiveAfterSec: 86_400, replicaMinReadsPerSec: 1e6, leaveReward: 0.3, exploration: 0.5, pinBudgetShare: 0.75, maxPins: 1 };
let shardlets: ShardletInfo[];

/** A shardlet's events through the edge's cached consumer range read (one page: about 50 events). */
async function read(id: string): Promise<void> {
  const res = await fetch(`${h.edgeUrl}/v1/streams/${h.stream}/shardlets/${id}/events?after=0&limit=1000`, { headers: { authorization: `Bearer ${h.token}` } });
  expect(res.status).toBe(200);
}

async function round(): Promise<void> {
  for (const s of shardlets) await read(s.id);
}

/** The edge's counts of a shardlet since it started. */
const counts = (id: string) => h.edge.readCache.stats.snapshot(Date.now(), { entries: 0, bytes: 0, maxBytes: BUDGET, marginalValuePerByte: 0, horizonMs: 0 }).shardlets.find((s) => s.shardletId === id)!;

beforeAll(async () => {
  h = await startLifecycleHarness({ hosts: 1, shardCount: 2, shardletsPerShard: 8, readCache: { maxBytes: BUDGET, prefetchBytesPerSec: 0 } });
  // Nothing is old enough to archive nor read hard enough to replicate: this run is about pins only.
  await updateSetting(h.db, PLACEMENT_SETTINGS_KEY, SETTINGS, null);
  shardlets = (await listShardlets(h.db, { streamId: h.streamId })).filter((s) => s.state === "active");
  expect(shardlets).toHaveLength(16);
  for (const s of shardlets) await h.produce(Array.from({ length: 50 }, () => ({ key: h.keyIn(s.lo, s.hi), id: h.nextId() })));
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe("placement.run cache-pin arm", () => {
  it("pins a shardlet whose reads miss evicted entries, rewards it from the edge's snapshots, and unpins it when the reward falls below leave", async () => {
    const ctx = { redis: h.redis, prefix: h.prefix };
    const cache = h.edge.readCache;
    for (let i = 0; i < 3; i++) await round();
    // The job pins the shardlet with the most evicted misses (the lowest id among equals); read it
    // once more so that its entry is in the cache when the pin comes.
    const ranked = shardlets.map((s) => counts(s.id)).sort((a, b) => b.evictedMisses - a.evictedMisses || a.shardletId.localeCompare(b.shardletId));
    const target = ranked[0]!.shardletId;
    await read(target);
    const before = counts(target);
    expect(before).toMatchObject({ hits: 0, misses: 4 });
    expect(before.evictedMisses).toBeGreaterThanOrEqual(2);
    await cache.publish();

    expect(await runPlacement(h.deps, ctx)).toMatchObject({ pinned: 1, unpinned: 0 });
    expect((await readPinSet(h.redis, h.prefix))!.pins.map((p) => p.shardletId)).toEqual([target]);
    await waitFor("the edge loads the pin", () => cache.cache.pinned().some((p) => p.shardletId === target && p.shielded));
    const [op] = await listOperations(h.db, { kind: "placement.pin", limit: 5 });
    expect(op).toMatchObject({ shardletId: target });
    expect(op!.message).toMatch(new RegExp(`cache-pin: ${before.evictedMisses} of 4 reads missed an entry the edges' caches had evicted`));
    let state = await readPlacementState(h.redis, h.prefix, 0.5);
    expect(Object.keys(state.pins)).toEqual([target]);
    expect(state.pins[target]).toMatchObject({ missRatioBefore: before.evictedMisses / 4, runs: 1, context: CONTEXT });
    expect(state.recent.find((d) => d.arm === "cache-pin")).toMatchObject({ shardletId: target, reward: null });

    // Pinned, its entry outlives the others' reads: its reads hit. The reward is the share of
    // evicted misses it removed, net of the reads its shielded bytes are charged for at the edge's
    // going rate (what the entries evicted instead were worth per byte), per read since the pin.
    for (let i = 0; i < 2; i++) await round();
    expect(counts(target)).toMatchObject({ hits: 2, evictedMisses: before.evictedMisses });
    await cache.publish();
    expect(await runPlacement(h.deps, ctx)).toMatchObject({ pinned: 0, unpinned: 0 });
    state = await readPlacementState(h.redis, h.prefix, 0.5);
    const measured = state.pins[target]!;
    expect(measured).toMatchObject({ hits: 2, misses: 0, evictedMisses: 0 });
    // The others' reads kept evicting, so the shield was charged something.
    expect(measured.displaced).toBeGreaterThan(0);
    const expected = before.evictedMisses / 4 - measured.displaced / 2;
    expect(expected).toBeGreaterThan(0.3);
    const v = state.bandit.values(CONTEXT)["cache-pin"];
    expect(v.pulls).toBe(1);
    expect(v.mean).toBeCloseTo(expected, 6);
    expect(state.recent.find((d) => d.arm === "cache-pin")!.reward).toBeCloseTo(expected, 6);

    // A pin budget smaller than its entry: no longer shielded (and no longer charged), it is
    // evicted again like the others' and the reward falls. After its grace runs it is unpinned.
    await updateSetting(h.db, PLACEMENT_SETTINGS_KEY, { ...SETTINGS, pinBudgetShare: 0.05 }, null);
    expect(await runPlacement(h.deps, ctx)).toMatchObject({ unpinned: 0 });
    await waitFor("the edge loads the smaller budget", () => cache.cache.pinned().every((p) => !p.shielded));
    for (let i = 0; i < 5; i++) await round();
    const after = counts(target);
    expect(after.evictedMisses).toBeGreaterThanOrEqual(before.evictedMisses + 3);
    await cache.publish();
    // The freed place may go to another shardlet the others' reads keep evicting.
    expect(await runPlacement(h.deps, ctx)).toMatchObject({ unpinned: 1 });
    state = await readPlacementState(h.redis, h.prefix, 0.5);
    expect(state.pins[target]).toBeUndefined();
    const unpin = state.recent.find((d) => d.arm === "unpin")!;
    expect(unpin).toMatchObject({ shardletId: target });
    const since = (after.evictedMisses - before.evictedMisses) / 7;
    expect(unpin.reward).toBeLessThanOrEqual(Math.max(0, before.evictedMisses / 4 - since) + 1e-9);
    expect(unpin.reward).toBeLessThan(0.3);
    expect(unpin.reason).toMatch(new RegExp(`evicted misses were ${(since * 100).toFixed(0)}% of 7 reads since it was pinned, ${(before.evictedMisses * 25).toFixed(0)}% before: reward 0\\.\\d\\d is below the bar 0.3`));
    expect((await listOperations(h.db, { kind: "placement.unpin", limit: 5 }))[0]).toMatchObject({ shardletId: target });
    expect((await readPinSet(h.redis, h.prefix))!.pins.map((p) => p.shardletId)).not.toContain(target);
    await waitFor("the edge drops the pin", () => !cache.cache.pinned().some((p) => p.shardletId === target));
  });
});
