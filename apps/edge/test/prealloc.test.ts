import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generatePrecursorStream, trainContentModel, keyHash } from "@shardcast/core";
import { updatePreallocSettings } from "@shardcast/db";
import { createRedis, installContentModel, readMergedPredictions } from "@shardcast/runtime";
import { waitFor } from "@shardcast/db/testing";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { post, startHarness, type Harness } from "./harness.ts";

let h: Harness;
const redis = createRedis(testRedisUrl());

/** A default model: the content model after an hour of a stream with announced bursts. */
function trainedState() {
  const stream = generatePrecursorStream({ seed: 21, announced: 40, durationSec: 5_400 });
  return trainContentModel(stream.events, (key) => `s${keyHash(key) % 64}`);
}

beforeAll(async () => {
  h = await startHarness({ stream: "matches", shardCount: 4 });
});
afterAll(async () => {
  await h?.close();
  await redis.quit();
});

describe("content model at the edge", () => {
  it("loads the stored default model, scores acked events and publishes the announced shardlet's surge", { timeout: 120_000 }, async () => {
    const state = trainedState();
    await installContentModel(redis, h.prefix, h.streamId, state, Date.now());
    // The first batch of a stream makes the edge read the stored model.
    const background = Array.from({ length: 50 }, (_, i) => ({ key: `t${i % 7}:u${i}`, type: "page_view", payload: { i } }));
    expect((await post(h, `/v1/streams/${h.stream}/events`, { events: background })).status).toBe(200);
    const runner = h.edge.prealloc!;
    await waitFor("the stored model to load", () => (runner.model(h.streamId)?.version ?? 0) >= state.examples, 15_000);

    const key = "t3:campaign-4711";
    const res = await post(h, `/v1/streams/${h.stream}/events`, {
      events: [
        { key, type: "campaign_started", payload: { budget: 1 } },
        { key, type: "campaign_started", payload: { channel: "mail" } },
        { key, type: "campaign_started", payload: { channel: "push" } },
        ...background,
      ],
    });
    expect(res.status).toBe(200);
    const shardletId = (res.body.events as Array<{ shardletId: string }>)[0]!.shardletId;
    await runner.publish();
    const published = (await readMergedPredictions(redis, h.prefix, h.streamId, 5_000, Date.now()))!;
    expect(published.modelVersion).toBeGreaterThanOrEqual(state.examples);
    const p = published.predictions.find((x) => x.shardletId === shardletId);
    expect(p, JSON.stringify(published.predictions)).toBeDefined();
    expect(p!.cause).toBe("campaign_started");
    expect(p!.probability, JSON.stringify(p)).toBeGreaterThan(0.2);
    expect(p!.keyHashes).toContain(keyHash(key));
    // Background types alone predict nothing.
    const others = published.predictions.filter((x) => x.shardletId !== shardletId && x.probability >= 0.2);
    expect(others).toEqual([]);
    expect(runner.stats.scored).toBeGreaterThanOrEqual(103);
    expect(runner.stats.skipped).toBe(0);
  });

  it("counts with the stored pre-allocation settings", { timeout: 30_000 }, async () => {
    await updatePreallocSettings(h.db, { stepSec: 10, horizonSec: 300, surgeFactor: 8, minSurgeEvents: 20 }, null);
    const runner = h.edge.prealloc!;
    await runner.refreshSettings();
    expect(runner.model(h.streamId)?.cfg).toMatchObject({ stepMs: 10_000, horizonMs: 300_000, surgeFactor: 8, minSurgeEvents: 20 });
    await runner.publish();
    expect((await readMergedPredictions(redis, h.prefix, h.streamId, 10_000, Date.now()))?.stepMs).toBe(10_000);
  });
});
