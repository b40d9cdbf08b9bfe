import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PlacementBandit } from "@shardcast/core";
import { createStream, listShardlets, type ShardletInfo } from "@shardcast/db";
import { readCacheKeys, writePlacementState } from "@shardcast/runtime";
import { startHarness, type Harness } from "./harness.ts";

interface PinsOut {
  stream: { name: string } | null;
  pinBudgetShare: number;
  maxPins: number;
  stateError: string | null;
  pins: Array<{ streamName: string; shardletId: string; range: { lo: number; hi: number } | null; runs: number; missRatioBefore: number; reads: number; missRatioSince: number | null; reward: number | null; bytes: number; edges: number; shieldedOn: number }>;
}

let h: Harness;
let viewer: string;
let pinned: ShardletInfo;
let other: ShardletInfo;
const CONTEXT = "reads:missed groups:none";

beforeAll(async () => {
  h = await startHarness({ hosts: 1 });
  viewer = await h.sessionFor("viewer");
  const streamId = (await createStream(h.db, h.hosts, { name: "pinned", shardCount: 2 })).id;
  [pinned, other] = (await listShardlets(h.db, { streamId })).sort((a, b) => a.lo - b.lo) as [ShardletInfo, ShardletInfo];
  await createStream(h.db, h.hosts, { name: "plain", shardCount: 1 });
});
afterAll(async () => {
  await h?.close();
});

describe("cache.pins", () => {
  it("shows each pin with its reads before and since, its reward so far and the bytes the edges hold shielded", async () => {
    const prefix = h.freshPrefix("pins");
    const at = Date.now() - 60_000;
    const pin = { streamId: pinned.streamId, context: CONTEXT, since: at, runs: 2, missRatioBefore: 0.8, hits: 9, misses: 1, evictedMisses: 1, displaced: 0.7 };
    const young = { ...pin, since: at + 1, runs: 1, hits: 0, misses: 0, evictedMisses: 0, displaced: 0 };
    const decision = (shardletId: string, t: number, reward: number | null) => ({ at: t, streamId: pinned.streamId, shardletId, arm: "cache-pin", context: CONTEXT, reason: "cache-pin: missed", reward });
    await writePlacementState(h.redis, prefix, {
      lastRunAt: at,
      bandit: new PlacementBandit({ exploration: 0.5 }),
      pending: [],
      recent: [decision(other.id, at + 1, null), decision(pinned.id, at, 0.7), decision("gone", at - 10, null)],
      archived: {},
      backoff: {},
      replicas: {},
      pins: { [pinned.id]: pin, [other.id]: young },
      cacheSeen: {},
      moves: {},
      moveCooldown: {},
    });
    const snapshot = { edgeId: "e1", at: Date.now(), maxBytes: 4_000, shardlets: [], pinned: [{ streamId: pinned.streamId, shardletId: pinned.id, bytes: 100, shielded: true }] };
    await h.redis.hset(readCacheKeys.stats(prefix), "e1", JSON.stringify(snapshot));

    const res = await h.call<PinsOut>("query", "cache.pins", { stream: "pinned" }, viewer, { redisPrefix: prefix });
    expect(res.status).toBe(200);
    const d = res.data!;
    expect(d).toMatchObject({ stream: { name: "pinned" }, pinBudgetShare: 0.25, maxPins: 16, stateError: null });
    expect(d.pins.map((p) => p.shardletId)).toEqual([other.id, pinned.id]);
    expect(d.pins[1]).toMatchObject({ streamName: "pinned", range: { lo: pinned.lo, hi: pinned.hi }, runs: 2, reads: 10, missRatioSince: 0.1, bytes: 100, edges: 1, shieldedOn: 1 });
    // 0.8 -> 0.1 of reads missed, and its shield charged 0.7 reads over its 10 reads since.
    expect(d.pins[1]!.reward).toBeCloseTo(0.7 - 0.07, 6);
    expect(d.pins[0]).toMatchObject({ reads: 0, missRatioSince: null, reward: null, bytes: 0, edges: 0 });
    expect((await h.call<PinsOut>("query", "cache.pins", { stream: "plain" }, viewer, { redisPrefix: prefix })).data!.pins).toEqual([]);

    // The placement view marks cache-pin as acted on; a pin not read yet is pending, one unpinned unread is unmeasured.
    const view = await h.call<{ decisions: Array<{ shardletId: string; rewardState: string }> }>("query", "cache.placement", {}, viewer, { redisPrefix: prefix });
    expect(view.data!.decisions.map((x) => [x.shardletId, x.rewardState])).toEqual([
      [other.id, "pending"],
      [pinned.id, "measured"],
      ["gone", "unmeasured"],
    ]);
  });

  it("answers before any pin and without a session 401s", async () => {
    const prefix = h.freshPrefix("pins");
    expect((await h.call<PinsOut>("query", "cache.pins", {}, viewer, { redisPrefix: prefix })).data).toMatchObject({ pins: [], stateError: null });
    expect((await h.call("query", "cache.pins", {}, null, { redisPrefix: prefix })).status).toBe(401);
    expect((await h.call("query", "cache.pins", { stream: "nope" }, viewer, { redisPrefix: prefix })).status).toBe(404);
  });
});
