import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ContentModel, generatePrecursorStream } from "@shardcast/core";
import { getLatestPreallocTraining } from "@shardcast/db";
import { loadStoredModel, saveEdgeModel } from "@shardcast/runtime";
import { MIN_HISTORY_EVENTS, runPreallocTrain } from "../src/prealloc/train.ts";
import { startLifecycleHarness, type LifecycleHarness } from "./lifecycle-harness.ts";

/**
 * Half an hour of history with announced bursts, written through a real edge with the events'
 * own times (as a producer replaying its log would), stored on real host databases.
 */
const HISTORY = generatePrecursorStream({
  seed: 11,
  durationSec: 1_800,
  backgroundPerSec: 10,
  announced: 24,
  falseAlarms: 4,
  unannounced: 3,
  burstPerSec: 40,
  decoyClusters: 10,
  wobbles: 10,
});

describe("prealloc.train on stored history", () => {
  let h: LifecycleHarness;

  beforeAll(async () => {
    h = await startLifecycleHarness({ hosts: 2, shardCount: 1, shardletsPerShard: 4 });
    // On a whole hour, so every run replays the same history the same way (the evaluation pools
    // the step phases, see evaluateContentModel, but a run should not depend on the clock at all).
    const base = Math.floor((Date.now() - 3 * 3_600_000) / 3_600_000) * 3_600_000;
    const url = `${h.edgeUrl}/v1/streams/${h.stream}/events`;
    for (let i = 0; i < HISTORY.events.length; i += 1_000) {
      const events = HISTORY.events.slice(i, i + 1_000).map((e, j) => ({ key: e.key, type: e.type, id: `h-${i + j}`, ts: base + e.atMs, payload: {} }));
      const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${h.token}` }, body: JSON.stringify({ events }) });
      expect(res.status).toBe(200);
    }
  }, 180_000);
  afterAll(async () => {
    await h?.close();
  });

  it("trains on every host's history, beats the type-blind model on the held-out quarter and installs it over the prior an edge saved", { timeout: 120_000 }, async () => {
    // An edge saves its model, untrained or not, every minute: the prior must not block the install.
    await saveEdgeModel(h.redis, h.prefix, h.streamId, new ContentModel().snapshot(), 0);
    const progress: number[] = [];
    const r = await runPreallocTrain(h.deps, { redis: h.redis, prefix: h.prefix, onProgress: (f) => void progress.push(f) });
    const mine = r.streams.find((s) => s.streamId === h.streamId)!;
    expect(mine.events).toBe(HISTORY.events.length);
    expect(mine.outcome, mine.note).toBe("installed");
    expect(mine.heldOut!.onsets).toBeGreaterThan(0);
    const f1 = (q: { precision: number | null; recall: number | null }) => ((q.precision ?? 0) + (q.recall ?? 0) > 0 ? (2 * (q.precision ?? 0) * (q.recall ?? 0)) / ((q.precision ?? 0) + (q.recall ?? 0)) : 0);
    expect(f1(mine.heldOut!)).toBeGreaterThan(f1(mine.baseline!));
    expect(progress.at(-1)).toBe(1);

    // What edges load: a content model state that has learnt the announcing type.
    const { state } = (await loadStoredModel(h.redis, h.prefix, h.streamId))!;
    expect(state).toMatchObject({ format: 1, kind: "content", examples: mine.version });
    const model = new ContentModel({}, state);
    expect(model.surgeSize("campaign_started") ?? model.surgeSize("match_kickoff")).not.toBeNull();

    const recorded = await getLatestPreallocTraining(h.db);
    expect(recorded!.streams.find((s) => s.streamId === h.streamId)).toMatchObject({ outcome: "installed", events: HISTORY.events.length });
  });

  it("never replaces a model that learnt more online, and keeps the prior for a stream with too little history", { timeout: 120_000 }, async () => {
    const installed = (await loadStoredModel(h.redis, h.prefix, h.streamId))!;
    const learnt = { ...installed.state, examples: installed.state.examples + 1_000 };
    expect(await saveEdgeModel(h.redis, h.prefix, h.streamId, learnt, installed.installedAtMs)).toBe(true);
    const r = await runPreallocTrain(h.deps, { redis: h.redis, prefix: h.prefix, streamId: h.streamId });
    expect(r.streams).toEqual([expect.objectContaining({ streamId: h.streamId, outcome: "kept" })]);
    expect((await loadStoredModel(h.redis, h.prefix, h.streamId))?.state.examples).toBe(learnt.examples);

    const short = await runPreallocTrain(h.deps, { redis: h.redis, prefix: h.prefix, streamId: h.streamId, eventsPerHost: Math.floor(MIN_HISTORY_EVENTS / 4) });
    expect(short.streams[0]).toMatchObject({ outcome: "skipped", version: null });
    expect(short.streams[0]!.note).toMatch(/prior/);
  });
});
