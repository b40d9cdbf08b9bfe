import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { generatePrecursorStream, keyHash, parsePreallocSettings, trainContentModel, type IncomingEvent, type PreallocSettings } from "@shardcast/core";
import { createLogger, createRedis, installContentModel, preallocEdgeId, readMergedPredictions } from "@shardcast/runtime";
import { waitFor } from "@shardcast/db/testing";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { PreallocRunner } from "../src/prealloc/runner.ts";

/**
 * Several edges' content models over one real Redis, as a deployment of many edges runs them:
 * each edge's predictions reach the pre-allocator, an install reaches running edges, and the
 * model counts with the stored settings.
 */
const redis = createRedis(testRedisUrl());
const log = createLogger({ test: "prealloc-edges" }, { level: "error" });
const STREAM = "stream-1";
const runners: PreallocRunner[] = [];

/** The content model after 90 minutes of a stream with announced bursts. */
const STATE = (() => {
  const stream = generatePrecursorStream({ seed: 21, announced: 40, durationSec: 5_400 });
  return trainContentModel(stream.events, (key) => `s${keyHash(key) % 64}`);
})();

function edge(prefix: string, settings?: () => PreallocSettings): PreallocRunner {
  const r = new PreallocRunner({
    redis,
    prefix,
    log,
    edgeId: preallocEdgeId(),
    publishMs: 60_000,
    saveMs: 60_000,
    maxQueuedEvents: 10_000,
    settingsMs: 0,
    ...(settings ? { settings: () => Promise.resolve(settings()) } : {}),
  });
  runners.push(r);
  return r;
}

/** Acks `events` on `shardletId` at the edge (what the write path does after answering a batch). */
function ack(r: PreallocRunner, shardletId: string, events: IncomingEvent[]): void {
  r.acked(STREAM, events, events.map(() => ({ shardletId })));
  r.flushQueue();
}

const event = (key: string, type: string): IncomingEvent => ({ key, type, id: null, ts: Date.now(), payloadJson: "{}", sizeBytes: key.length + type.length + 2 });
const background = (n: number): IncomingEvent[] => Array.from({ length: n }, (_, i) => event(`t${i % 7}:u${i}`, "page_view"));
const campaign = (key: string): IncomingEvent[] => [0, 1, 2].map(() => event(key, "campaign_started"));

afterAll(async () => {
  for (const r of runners) r.stop();
  await redis.quit();
});

describe("content model on many edges", () => {
  it("names every edge process apart, even with one hostname and PID", () => {
    expect(preallocEdgeId()).not.toBe(preallocEdgeId());
  });

  it("merges every edge's predictions into the pre-allocator's view", { timeout: 60_000 }, async () => {
    const prefix = `pa-edges-${randomUUID()}`;
    await installContentModel(redis, prefix, STREAM, STATE, Date.now());
    const [a, b] = [edge(prefix), edge(prefix)];
    for (const r of [a, b]) ack(r, "s-bg", background(20));
    await waitFor("both edges to load the installed model", () => [a, b].every((r) => (r.model(STREAM)?.version ?? 0) >= STATE.examples), 15_000);

    // Each edge sees another campaign announced, on another shardlet.
    ack(a, "s-a", [...campaign("t3:campaign-a"), ...background(20)]);
    ack(b, "s-b", [...campaign("t4:campaign-b"), ...background(20)]);
    await a.publish();
    await b.publish();
    const merged = await readMergedPredictions(redis, prefix, STREAM, 5_000, Date.now());
    const ids = merged?.predictions.map((p) => p.shardletId) ?? [];
    expect(ids).toContain("s-a");
    expect(ids).toContain("s-b");
    expect(merged!.edge.split(",").sort()).toEqual([a.edgeId, b.edgeId].sort());
  });

  it("adopts a trained model installed while the edge runs, over the prior it saved", { timeout: 60_000 }, async () => {
    const prefix = `pa-install-${randomUUID()}`;
    const r = edge(prefix);
    ack(r, "s-bg", background(20));
    await r.save();
    expect(r.model(STREAM)?.version).toBe(0);
    // The edge's saved prior does not keep the training job from installing.
    expect(await installContentModel(redis, prefix, STREAM, STATE, Date.now())).toBe(true);
    await r.publish();
    expect(r.model(STREAM)?.version).toBeGreaterThanOrEqual(STATE.examples);
    // ... and the edge's next save does not put its prior back over it.
    await r.save();
    const fresh = edge(prefix);
    ack(fresh, "s-bg", background(5));
    await waitFor("a new edge to load the installed model", () => (fresh.model(STREAM)?.version ?? 0) >= STATE.examples, 15_000);
  });

  it("builds the model with the stored step, horizon and surge thresholds, and rebuilds it when they change", { timeout: 30_000 }, async () => {
    const prefix = `pa-settings-${randomUUID()}`;
    let settings = parsePreallocSettings({ stepSec: 10, horizonSec: 300, surgeFactor: 8, minSurgeEvents: 20 });
    const r = edge(prefix, () => settings);
    await r.refreshSettings();
    ack(r, "s-bg", background(20));
    expect(r.model(STREAM)?.cfg).toMatchObject({ stepMs: 10_000, horizonMs: 300_000, surgeFactor: 8, minSurgeEvents: 20 });

    await installContentModel(redis, prefix, STREAM, STATE, Date.now());
    await r.publish();
    expect(r.model(STREAM)?.cfg.stepMs).toBe(10_000);
    settings = parsePreallocSettings({ stepSec: 2, horizonSec: 60 });
    await r.publish();
    expect(r.model(STREAM)?.cfg).toMatchObject({ stepMs: 2_000, horizonMs: 60_000, surgeFactor: 5, minSurgeEvents: 50 });
    // What was learnt is kept across the rebuild.
    expect(r.model(STREAM)?.version).toBeGreaterThanOrEqual(STATE.examples);
  });
});
