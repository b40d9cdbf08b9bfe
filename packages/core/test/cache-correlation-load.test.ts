import { describe, expect, it } from "vitest";
import { CorrelationEngine, createRng, type CorrelationStep, type Rng } from "../src/index.ts";

type Reads = Map<string, { count: number }>;

const STEPS = 3000;

/**
 * A load that swings widely (busy for 20 steps, a tenth of it for 20) drives everything: `page_view`
 * (announces nothing) is written in proportion to it, and so are the background reads of s-0..s-39.
 * `order_placed` is written at a steady rate and, with probability 0.7, is read two steps later on
 * s-7, and `alert` is written in proportion to the load too, and read on s-9 a step later.
 */
function run(engine: CorrelationEngine, rng: Rng): void {
  const pending = new Map<number, string[]>();
  const later = (t: number, id: string) => pending.set(t, [...(pending.get(t) ?? []), id]);
  for (let t = 0; t < STEPS; t++) {
    const load = Math.floor(t / 20) % 2 === 0 ? 1 : 0.1;
    const types = new Map<string, number>();
    const reads: Reads = new Map();
    const read = (id: string) => reads.set(id, { count: (reads.get(id)?.count ?? 0) + 1 });
    if (rng.chance(0.9 * load)) types.set("page_view", 1);
    if (rng.chance(0.1)) {
      types.set("order_placed", 1);
      if (rng.chance(0.7)) later(t + 2, "s-7");
    }
    if (rng.chance(0.2 * load)) {
      types.set("alert", 1);
      if (rng.chance(0.7)) later(t + 1, "s-9");
    }
    for (const id of pending.get(t) ?? []) read(id);
    pending.delete(t);
    for (let i = Math.round(6 * load); i > 0; i--) read(`s-${rng.int(40)}`);
    engine.step({ types, reads } satisfies CorrelationStep);
  }
}

describe("CorrelationEngine under a swinging load", () => {
  it("does not take a type that follows the load for a precursor of the reads the load brings", () => {
    const engine = new CorrelationEngine();
    run(engine, createRng(7));
    // Without matching the base to the load of the type's steps, page_view "announces" most of
    // the background shardlets (their reads also follow the load).
    expect(engine.predict("page_view", { minP: 0.05, minLift: 1.2 })).toEqual({});
    // Real precursors still qualify: one written at a steady rate, and one that follows the load too.
    expect(Object.keys(engine.predict("order_placed"))).toEqual(["s-7"]);
    expect(engine.predict("order_placed")["s-7"]!.lagSteps).toBe(2);
    expect(Object.keys(engine.predict("alert"))).toEqual(["s-9"]);
  });

  it("keeps the load per type through JSON, and takes an old state's types as of average load", () => {
    const engine = new CorrelationEngine();
    run(engine, createRng(7));
    const data = engine.toData();
    const copy = CorrelationEngine.fromData(JSON.parse(JSON.stringify(data)));
    expect(copy.predict("page_view")).toEqual({});
    const shape = (e: CorrelationEngine) => Object.fromEntries(Object.entries(e.probabilityMap()).map(([type, row]) => [type, Object.keys(row)]));
    expect(shape(copy)).toEqual(shape(engine));
    // A state written before the load was counted: every type as busy as the average step, i.e. as
    // before, where the load-driven type announces the popular shardlets again.
    const old = { ...data, types: data.types.map(({ load: _load, ...t }) => t) };
    const fromOld = CorrelationEngine.fromData(JSON.parse(JSON.stringify(old)));
    expect(Object.keys(fromOld.predict("page_view", { minP: 0.05, minLift: 1.2 })).length).toBeGreaterThan(0);
  });
});
