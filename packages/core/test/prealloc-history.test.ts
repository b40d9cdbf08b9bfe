import { describe, expect, it } from "vitest";
import { ContentModel, evaluateContentModel, f1, generatePrecursorStream, keyHash, replayEvents } from "../src/index.ts";

const shardletOf = (key: string) => `s${keyHash(key) % 64}`;

describe("the default content model trained on history", () => {
  // Replays 90 minutes of events: a few seconds alone, over a minute while every workspace's tests share two cores.
  it("beats the type-blind rate model on the held-out tail, and an edge starting from it predicts from its first announcement", { timeout: 180_000 }, () => {
    // Background at 50 events/s: the surges stand out as they do at the default 200, at a quarter of the replay's cost.
    const history = generatePrecursorStream({ seed: 7, durationSec: 5_400, announced: 40, falseAlarms: 8, backgroundPerSec: 50 });
    const e = evaluateContentModel(history.events, shardletOf);
    expect(e.trainEvents + e.heldOutEvents).toBe(history.events.length);
    expect(e.heldOut.onsets).toBeGreaterThan(3);
    expect(e.better).toBe(true);
    expect(f1(e.heldOut)).toBeGreaterThan(f1(e.baseline));
    expect(e.heldOut.precision!).toBeGreaterThan(0.5);

    // A fresh stream (another seed): from the default model the first announced burst is predicted;
    // from the conservative prior nothing is, since nothing has been learnt yet.
    const fresh = generatePrecursorStream({ seed: 8, durationSec: 900, announced: 3, falseAlarms: 0, unannounced: 0 });
    const first = fresh.bursts.filter((b) => b.announcedAtMs !== null && b.startMs !== null).sort((a, b) => a.announcedAtMs! - b.announcedAtMs!)[0]!;
    const strongest = (m: ContentModel) => {
      replayEvents(fresh.events, m, shardletOf, { untilMs: first.startMs! - 1 });
      m.advance(first.startMs! - 1);
      return m.predictions(first.startMs! - 1, 0).find((p) => p.shardletId === shardletOf(first.key))?.probability ?? 0;
    };
    expect(strongest(new ContentModel({}, e.state))).toBeGreaterThan(0.5);
    expect(strongest(new ContentModel())).toBeLessThan(0.1);
  });

  it("carries each type's base rate: a restored model scores an announcing type high in a context it never saw, background low", () => {
    const history = generatePrecursorStream({ seed: 9, durationSec: 3_600, announced: 30, backgroundPerSec: 50 });
    // The state is the one learnt at the history's own times whatever the phases: one phase gives it
    // without the shifted replays that only the held-out scores use.
    const state = evaluateContentModel(history.events, shardletOf, { phases: 1 }).state;
    expect(state.typeRates?.campaign_started?.pos).toBeGreaterThan(0);
    const restored = new ContentModel({}, state);
    // Right after a restart: no type, key or rate history in this process at all.
    const at = (type: string) => restored.probabilityOf({ type, key: "t1:brand-new", atMs: 1_000, shardletId: "s1" });
    expect(at("campaign_started")).toBeGreaterThan(0.4);
    expect(at("match_kickoff")).toBeGreaterThan(0.4);
    expect(at("page_view")).toBeLessThan(0.1);
    expect(at("profile_update")).toBeLessThan(0.1);
    // A state saved before base rates existed still loads.
    const { typeRates: _dropped, ...old } = state;
    expect(new ContentModel({}, old).probabilityOf({ type: "page_view", key: "t1:u1", atMs: 1_000, shardletId: "s1" })).toBeLessThan(0.5);
  });

  it("judges a history the same wherever its steps start (the step phases are pooled)", () => {
    // The worker's test history: short, with a handful of surges in the held-out quarter, where one
    // start phase in five used to score the model just below the rate model.
    const history = generatePrecursorStream({ seed: 11, durationSec: 1_800, backgroundPerSec: 10, announced: 24, falseAlarms: 4, unannounced: 3, burstPerSec: 40, decoyClusters: 10, wobbles: 10 });
    // Four shardlets, as on the worker's test cluster: more surges share a shardlet.
    const four = (key: string) => `s${keyHash(key) % 4}`;
    const offsets = [0, 1_500, 3_000, 3_500];
    const at = (offsetMs: number, phases?: number) =>
      evaluateContentModel(history.events.map((ev) => ({ ...ev, atMs: ev.atMs + offsetMs })), four, phases === undefined ? {} : { phases });
    const runs = offsets.map((o) => at(o));
    for (const r of runs) expect(r.better).toBe(true);
    const scores = runs.map((r) => f1(r.heldOut) - f1(r.baseline));
    expect(Math.max(...scores) - Math.min(...scores)).toBeLessThan(0.05);
    // One phase alone is what used to decide.
    const single = offsets.map((o) => at(o, 1));
    expect(single.map((r) => r.better)).toContain(false);
  });

  it("says it is no better when history holds nothing to learn", () => {
    // Background at 50 events/s: without surges there is nothing to learn at any rate, at a quarter of the replay's cost.
    const quiet = generatePrecursorStream({ seed: 3, durationSec: 1_800, announced: 0, falseAlarms: 0, unannounced: 0, backgroundPerSec: 50 });
    const e = evaluateContentModel(quiet.events, shardletOf);
    expect(e.heldOut.alerts).toBe(0);
    expect(e.better).toBe(false);
  });
});
