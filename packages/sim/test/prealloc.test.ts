import { describe, expect, it } from "vitest";
import { DEFAULT_PREALLOC_GATE } from "@shardcast/core";
import { comparePrealloc, preallocWorkload, simulatePrealloc, trainSimContentModel } from "../src/index.ts";

describe("pre-allocation in the simulator", () => {
  it("prepares announced bursts ahead: fewer fallbacks than best-tuned reactive, the offline optimum fewer still", { timeout: 300_000 }, () => {
    const c = comparePrealloc({ seed: 7, aggressiveness: 0.5, stream: { durationSec: 1_800, announced: 10, falseAlarms: 3, unannounced: 2 } });
    const why = JSON.stringify({ reactive: c.reactive, tuned: c.reactiveTuned, predictive: c.predictive, oracle: c.oracle });
    expect(c.reactive.fallbacksInBursts, why).toBeGreaterThan(0);
    expect(c.predictive.fallbacksInBursts, why).toBeLessThan(0.6 * c.reactiveTuned.fallbacksInBursts);
    expect(c.oracle.fallbacksInBursts, why).toBeLessThanOrEqual(c.predictive.fallbacksInBursts);
    // The default model prepared most announced bursts; what it prepared for nothing was merged back.
    expect(c.predictive.preallocations).toBeGreaterThanOrEqual(8);
    expect(c.predictive.preallocWasted).toBeLessThan(c.predictive.preallocations / 2);
    // The reactive manager still caught the unannounced bursts.
    expect(c.predictive.reactivePreparations).toBeGreaterThanOrEqual(2);
  });

  it("at aggressiveness 0 behaves exactly like reactive", { timeout: 120_000 }, () => {
    const stream = preallocWorkload(3, { durationSec: 900, announced: 4, falseAlarms: 1, unannounced: 1 });
    const off = simulatePrealloc(stream, { aggressiveness: 0 });
    const reactive = simulatePrealloc(stream, {});
    expect(off.preallocations).toBe(0);
    expect({ ...off, policy: "" }).toEqual({ ...reactive, policy: "" });
  });

  it("releases false alarms: every part prepared for one is merged back", { timeout: 120_000 }, () => {
    // The default model learnt on history with real bursts; the measured stream has only false alarms.
    const initialModel = trainSimContentModel(preallocWorkload(11, { durationSec: 1_800, announced: 10, falseAlarms: 2, unannounced: 0 }));
    const stream = preallocWorkload(12, { durationSec: 1_200, announced: 0, falseAlarms: 5, unannounced: 0 });
    const r = simulatePrealloc(stream, { aggressiveness: 0.5, initialModel, skillGate: false });
    expect(r.preallocations).toBeGreaterThanOrEqual(3);
    expect(r.preallocWasted).toBe(r.preallocations);
    expect(r.liveShardlets).toBe(64);
    expect(r.quality?.hits).toBe(0);
  });

  it("with the skill gate, a model whose announcements stopped coming true stops preparing, and scores what it held back", { timeout: 120_000 }, () => {
    const initialModel = trainSimContentModel(preallocWorkload(11, { durationSec: 1_800, announced: 10, falseAlarms: 2, unannounced: 0 }));
    const stream = preallocWorkload(13, { durationSec: 2_400, announced: 0, falseAlarms: 14, unannounced: 0 });
    const ungated = simulatePrealloc(stream, { aggressiveness: 0.5, initialModel, skillGate: false });
    const gated = simulatePrealloc(stream, { aggressiveness: 0.5, initialModel });
    const why = JSON.stringify({ ungated, gated });
    expect(ungated.preallocations, why).toBeGreaterThanOrEqual(8);
    // The gate weighs from the fourth settled prediction on: after that, nothing more is prepared.
    expect(gated.preallocations, why).toBeLessThanOrEqual(DEFAULT_PREALLOC_GATE.minSettled + 1);
    expect(gated.gateHeld, why).toBeGreaterThan(0);
    expect(gated.shadowHits, why).toBe(0);
    expect(gated.shadowsWasted, why).toBeGreaterThan(0);
    expect(gated.fallbacks, why).toBeLessThanOrEqual(ungated.fallbacks);
  });
});
