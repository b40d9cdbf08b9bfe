import { generatePrecursorStream, keyHash, RoutingTable, trainContentModel, type PublishedPredictions, type SurgePrediction } from "@shardcast/core";
import { loadRoutes, updatePreallocSettings } from "@shardcast/db";
import { installContentModel, publishEdgePredictions } from "@shardcast/runtime";
import { expect } from "vitest";
import { runOverflowDrain } from "../src/processors/overflow-drain.ts";
import { startLifecycleHarness, type LifecycleHarness } from "./lifecycle-harness.ts";

/**
 * What the pre-allocation run tests share: a lifecycle harness whose edge has loaded a trained
 * content model, producers of background traffic and announced campaigns, and the exactly-once check.
 */

/** A default model: the content model after 90 minutes of a stream with announced bursts (as the edge would load it). */
function trainedState() {
  const stream = generatePrecursorStream({ seed: 21, announced: 40, durationSec: 5_400 });
  return trainContentModel(stream.events, (key) => `s${keyHash(key) % 64}`);
}
const STATE = trainedState();

// Splits by write rate at 40 events/s (the burst is far above, the background far below); no merges.
const LIFECYCLE = { splitWriteRate: 40, splitThreshold: 0.99, mergeThreshold: 0, mergeWriteRate: 0 };

export type Sent = { key: string; id: string; type: string };

export interface Scenario {
  h: LifecycleHarness;
  send(events: Sent[]): Promise<void>;
  fallbacks(): Promise<number>;
  table(): Promise<RoutingTable>;
  background(n: number): Sent[];
  close(): Promise<void>;
}

/**
 * One shard of two shardlets on two hosts, pre-allocating at `aggressiveness`, its edge running the
 * trained model. Splits send their lock windows' writes to the overflow log (no hold), so that what
 * a reactive split costs the burst shows as fallbacks to count.
 */
export async function scenario(aggressiveness: number): Promise<Scenario> {
  const h = await startLifecycleHarness({ hosts: 2, shardCount: 1, shardletsPerShard: 2, settings: LIFECYCLE, lifecycle: { splitHoldMs: 0 } });
  await updatePreallocSettings(h.db, { aggressiveness }, null);
  await installContentModel(h.redis, h.prefix, h.streamId, STATE, Date.now());
  let n = 0;
  const url = `${h.edgeUrl}/v1/streams/${h.stream}/events`;
  const send = async (events: Sent[]) => {
    const body = JSON.stringify({ events: events.map((e) => ({ ...e, payload: { pad: "x".repeat(40) } })) });
    for (let attempt = 1; ; attempt++) {
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${h.token}` }, body });
      const json = (await res.json()) as { events?: Array<{ seq: number; shardletId: string }> };
      if (res.status === 200 && json.events) {
        events.forEach((e, i) => h.acked.set(e.id, { id: e.id, seq: json.events![i]!.seq, shardletId: json.events![i]!.shardletId }));
        return;
      }
      // 503 while routes change: ids make the resend idempotent.
      if (res.status !== 503 || attempt >= 50) throw new Error(`produce failed (${res.status})`);
    }
  };
  const fallbacks = async () => {
    const m = await h.edge.metrics.registry.getSingleMetric("shardcast_edge_overflow_events_total")!.get();
    return m.values.reduce((sum, v) => sum + v.value, 0);
  };
  const background = (count: number): Sent[] => Array.from({ length: count }, () => ({ key: `t${n % 9}:u${n % 400}`, id: `bg-${n++}`, type: n % 2 ? "page_view" : "click" }));
  // The first batch makes the edge read the stored model.
  await send(background(50));
  const runner = h.edge.prealloc!;
  const deadline = Date.now() + 15_000;
  while ((runner.model(h.streamId)?.version ?? 0) < STATE.examples) {
    if (Date.now() > deadline) throw new Error("the edge did not load the stored model");
    await send(background(5));
  }
  return {
    h,
    send,
    fallbacks,
    table: async () => RoutingTable.build(h.streamId, await loadRoutes(h.db, h.streamId)),
    background,
    close: () => h.close(),
  };
}

/** Announces a campaign on `key` (three precursor events amid background) and has the edge publish. */
export async function announce(s: Scenario, key: string, tag: string) {
  await s.send([...s.background(20), ...[0, 1, 2].map((i) => ({ key, id: `pre-${tag}-${i}`, type: "campaign_started" })), ...s.background(20)]);
  await s.h.edge.prealloc!.publish();
}

/**
 * Publishes a confident prediction for `shardletId` on `key`, as the edge publishes it, with the
 * model's own figures when it has them: tests of what a run does with a prediction must not hang on
 * whether the edge's model, scoring by its own clock on a loaded machine, raises the alert.
 */
export async function publishPrediction(s: Scenario, shardletId: string, key: string): Promise<void> {
  const runner = s.h.edge.prealloc!;
  const now = Date.now();
  const own = runner.model(s.h.streamId)?.predictions(now, 0).find((p) => p.shardletId === shardletId);
  const prediction: SurgePrediction = {
    expectedEvents: 400,
    expectedPeakPerStep: 200,
    atMs: now,
    horizonEndsMs: now + 120_000,
    cause: "campaign_started",
    currentPerStep: 0,
    usualPerStep: 1,
    ...own,
    shardletId,
    keyHashes: [keyHash(key)],
    probability: Math.max(own?.probability ?? 0, 0.95),
  };
  const published: PublishedPredictions = {
    streamId: s.h.streamId,
    atMs: now,
    edge: runner.edgeId,
    modelVersion: runner.model(s.h.streamId)?.version ?? 0,
    quality: runner.model(s.h.streamId)!.quality(),
    predictions: [prediction],
    ttlMs: 60_000,
  };
  // In the edge's own field: it stands for the edge's view, as the edge's next publish would.
  await publishEdgePredictions(s.h.redis, s.h.prefix, runner.edgeId, [published]);
}

/** Drains the overflow log and checks every acknowledged event is stored once, where its shardlet is. */
export async function exactlyOnce(s: Scenario) {
  await runOverflowDrain(s.h.deps);
  const r = await s.h.check();
  expect(r.missing).toEqual([]);
  expect(r.unexpected).toEqual([]);
  expect(r.duplicateSeqs).toBe(0);
  expect(r.misplaced).toBe(0);
  expect(r.undrainedOverflow).toBe(0);
  expect(r.distinctIds).toBe(r.acked);
  expect(r.checksumStored).toBe(r.checksumAcked);
}

