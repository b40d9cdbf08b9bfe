import { describe, expect, it } from "vitest";
import { ContentModel, type ContentModelState } from "../src/index.ts";

/**
 * The content model's stored base rates per event type: type names come from producers, so what a
 * snapshot writes and a restore loads must stay within `maxTypes` however many names churn through.
 */

const MAX_TYPES = 32;

/** One generation's life: `names` new event types, each seen often enough to mature examples. */
function generation(state: ContentModelState | undefined, gen: number, names: number): ContentModelState {
  const model = new ContentModel({ maxTypes: MAX_TYPES }, state);
  const start = 1_000_000 + gen * 10_000_000;
  let t = start;
  for (let i = 0; i < names; i++) {
    for (let k = 0; k < 3; k++) model.observe({ type: `g${gen}-type-${i}`, key: `k${i}:${k}`, atMs: (t += 50), shardletId: `s${i % 8}` });
  }
  // Past the horizon every kept example has its label.
  model.advance(t + 600_000);
  return JSON.parse(JSON.stringify(model.snapshot())) as ContentModelState;
}

describe("content model type rates", () => {
  it("stores at most maxTypes type rates however many type names churn through", () => {
    let state: ContentModelState | undefined;
    const counts: number[] = [];
    for (let gen = 0; gen < 5; gen++) {
      state = generation(state, gen, 3 * MAX_TYPES);
      counts.push(Object.keys(state.typeRates ?? {}).length);
    }
    expect(counts[0]).toBeGreaterThan(0);
    for (const c of counts) expect(c, JSON.stringify(counts)).toBeLessThanOrEqual(MAX_TYPES);
  });

  it("keeps the live types first, then the restored ones with the most evidence", () => {
    const restored: ContentModelState = {
      ...generation(undefined, 0, 1),
      typeRates: Object.fromEntries(Array.from({ length: 3 * MAX_TYPES }, (_, i) => [`old-${i}`, { n: i + 1, pos: 0 }])),
    };
    const model = new ContentModel({ maxTypes: MAX_TYPES }, restored);
    model.observe({ type: "old-0", key: "a", atMs: 5_000_000, shardletId: "s1" });
    model.advance(6_000_000);
    const rates = model.snapshot().typeRates ?? {};
    expect(Object.keys(rates)).toHaveLength(MAX_TYPES);
    // The least-evidenced restored type is kept because it was seen live, with its live counts.
    expect(rates["old-0"]!.n).toBeGreaterThanOrEqual(1);
    expect(rates[`old-${3 * MAX_TYPES - 1}`]).toEqual({ n: 3 * MAX_TYPES, pos: 0 });
    expect(rates["old-1"]).toBeUndefined();
  });

  it("bounds what a restore loads: surge sizes and type rates of a state written by anyone", () => {
    const base = generation(undefined, 0, 1);
    const many = Array.from({ length: 10 * MAX_TYPES }, (_, i) => `t${i}`);
    const state: ContentModelState = {
      ...base,
      sizes: Object.fromEntries(many.map((t, i) => [t, { events: 100, peakPerStep: 50, n: i + 1 }])),
      typeRates: Object.fromEntries(many.map((t, i) => [t, { n: i + 1, pos: 0 }])),
    };
    const snap = new ContentModel({ maxTypes: MAX_TYPES }, state).snapshot();
    expect(Object.keys(snap.sizes).length).toBeLessThanOrEqual(MAX_TYPES);
    expect(Object.keys(snap.typeRates ?? {}).length).toBeLessThanOrEqual(MAX_TYPES);
    // The ones with the most evidence are what is kept.
    expect(snap.sizes[`t${10 * MAX_TYPES - 1}`]).toBeDefined();
    expect(snap.sizes.t0).toBeUndefined();
  });
});
