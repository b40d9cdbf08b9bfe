import { describe, expect, it } from "vitest";
import { CorrelationEngine, createRng, isShardcastError, type CorrelationStep, type Rng } from "../src/index.ts";

type Reads = Map<string, { count: number; target?: string }>;

function read(reads: Reads, id: string, count = 1, target?: string): void {
  const cur = reads.get(id);
  if (cur) cur.count += count;
  else reads.set(id, { count, ...(target ? { target } : {}) });
}

interface World {
  /** The shardlet `order_placed` announces, by step. */
  announced: (step: number) => string;
  orderRate: number;
  follow: number;
  lag: number;
}

/**
 * `order_placed` (rate `orderRate` per step) is followed `lag` steps later, with probability
 * `follow`, by the billing reader's reads of the announced shardlet; `page_view` is written most
 * steps and announces nothing; three background reads per step go uniformly to s-0..s-19.
 */
function simulate(engine: CorrelationEngine, world: World, from: number, to: number, rng: Rng, pending: Map<number, string[]>): void {
  for (let t = from; t < to; t++) {
    const types = new Map<string, number>();
    const reads: Reads = new Map();
    if (rng.chance(world.orderRate)) {
      types.set("order_placed", 1 + rng.int(3));
      if (rng.chance(world.follow)) pending.set(t + world.lag, [...(pending.get(t + world.lag) ?? []), world.announced(t)]);
    }
    if (rng.chance(0.6)) types.set("page_view", 5 + rng.int(20));
    for (const id of pending.get(t) ?? []) read(reads, id, 2, "billing");
    pending.delete(t);
    for (let i = 0; i < 2; i++) read(reads, `s-${rng.int(40)}`);
    engine.step({ types, reads } satisfies CorrelationStep);
  }
}

describe("CorrelationEngine", () => {
  it("learns a planted precursor (probability, lag, lift, reader) and ignores a noise type", () => {
    const engine = new CorrelationEngine();
    simulate(engine, { announced: () => "s-7", orderRate: 0.1, follow: 0.8, lag: 2 }, 0, 1500, createRng(1), new Map());
    const row = engine.predict("order_placed");
    const hit = row["s-7"];
    expect(hit, JSON.stringify(row)).toBeDefined();
    expect(hit!.p).toBeGreaterThan(0.6);
    expect(hit!.p).toBeLessThan(0.97);
    expect(hit!.lagSteps).toBe(2);
    expect(hit!.lift).toBeGreaterThan(1.5);
    expect(hit!.target).toBe("billing");
    // Chance co-occurrences with the background do not pass the evidence test.
    expect(Object.keys(row)).toEqual(["s-7"]);
    expect(engine.predict("page_view")).toEqual({});
    const map = engine.probabilityMap();
    expect(Object.keys(map)).toEqual(["order_placed"]);
    expect(map["order_placed"]!["s-7"]).toEqual(hit);
  });

  it("follows a pattern change within a bounded number of steps (the short-term estimate takes over)", () => {
    // A one-step window, so the shardlet an order announces is not read in most windows anyway.
    const CHANGE = 1500;
    const world: World = { announced: (t) => (t < CHANGE ? "s-7" : "s-9"), orderRate: 0.25, follow: 0.8, lag: 1 };
    const adapt = (opts: { shortHalfLifeSteps?: number }) => {
      const engine = new CorrelationEngine({ maxLagSteps: 1, ...opts });
      const rng = createRng(2);
      const pending = new Map<number, string[]>();
      simulate(engine, world, 0, CHANGE, rng, pending);
      expect(Object.keys(engine.predict("order_placed", { minP: 0.3 }))).toEqual(["s-7"]);
      let shown: number | null = null;
      let gone: number | null = null;
      for (let t = CHANGE; t < CHANGE + 300 && (shown === null || gone === null); t++) {
        simulate(engine, world, t, t + 1, rng, pending);
        const row = engine.predict("order_placed", { minP: 0.3 });
        if (shown === null && row["s-9"]) shown = t - CHANGE;
        if (gone === null && !row["s-7"]) gone = t - CHANGE;
      }
      return { shown, gone, engine };
    };
    // With the default 30-step short half-life: within a few half-lives, the old one first.
    const { shown, gone, engine } = adapt({});
    expect(gone).not.toBeNull();
    expect(gone!).toBeLessThanOrEqual(75);
    expect(shown).not.toBeNull();
    expect(shown!).toBeLessThanOrEqual(120);
    expect(engine.predict("order_placed")["s-9"]).toMatchObject({ lagSteps: 1, target: "billing" });
    // The long-term estimate alone (both half-lives 720 steps) is still on the old pattern.
    const slow = adapt({ shortHalfLifeSteps: 720 });
    expect(slow.shown).toBeNull();
    expect(slow.gone).toBeNull();
  });

  it("has an empty map without evidence", () => {
    const engine = new CorrelationEngine();
    expect(engine.probabilityMap()).toEqual({});
    expect(engine.rates()).toEqual([]);
    expect(engine.typeCorrelations()).toEqual([]);
    // Types but no reads; then two occurrences that were each followed by a read: not enough.
    for (let t = 0; t < 50; t++) engine.step({ types: new Map([["order_placed", 1]]), reads: new Map() });
    expect(engine.probabilityMap()).toEqual({});
    const fresh = new CorrelationEngine();
    for (let t = 0; t < 40; t++) {
      const types = new Map(t === 5 || t === 25 ? [["order_placed", 1] as const] : []);
      const reads: Reads = new Map();
      if (t === 6 || t === 26) read(reads, "s-1");
      fresh.step({ types, reads });
    }
    expect(fresh.probabilityMap()).toEqual({});
  });

  it("stands a reader's occasional reads after a type out from constant reads of every shardlet", () => {
    // Reads are keyed per shardlet and reader (as the worker does): a group tailing everything has
    // a base rate of one and never correlates; the billing reader two steps after an order does.
    const engine = new CorrelationEngine();
    for (let i = 0; i < 300; i++) {
      const types = new Map<string, number>([["page_view", 40 + (i % 7)]]);
      if (i % 15 === 0) types.set("order_placed", 5);
      const reads: Reads = new Map();
      if (i % 15 === 2) read(reads, "s-1\tbilling", 30, "billing");
      for (const s of ["s-1", "s-2", "s-3"]) read(reads, `${s}\ttail-group`, 10, "tail-group");
      engine.step({ types, reads });
    }
    const row = engine.predict("order_placed", { minP: 0.3, minLift: 1.5 });
    expect(Object.keys(row)).toEqual(["s-1\tbilling"]);
    expect(row["s-1\tbilling"]).toMatchObject({ lagSteps: 2, target: "billing" });
    expect(row["s-1\tbilling"]!.p).toBeGreaterThan(0.9);
    expect(row["s-1\tbilling"]!.lift).toBeGreaterThan(1.5);
    expect(engine.predict("page_view", { minP: 0.3, minLift: 1.5 })).toEqual({});
  });

  it("smooths rates and finds the lagged correlation between types", () => {
    const engine = new CorrelationEngine();
    const rng = createRng(3);
    let before = 0;
    for (let t = 0; t < 800; t++) {
      const a = rng.int(6);
      // b follows a one step later; c is independent.
      engine.step({ types: new Map([["a", a], ["b", before + rng.int(2)], ["c", 3 + rng.int(3)]].filter(([, n]) => Number(n) > 0) as Array<[string, number]>), reads: new Map() });
      before = a;
    }
    const rates = new Map(engine.rates().map((r) => [r.type, r]));
    expect(rates.get("c")!.long).toBeGreaterThan(3.7);
    expect(rates.get("c")!.long).toBeLessThan(4.3);
    expect(rates.get("a")!.long).toBeGreaterThan(2.2);
    expect(rates.get("a")!.long).toBeLessThan(2.8);
    const top = engine.typeCorrelations({ top: 3 })[0]!;
    expect(top).toMatchObject({ a: "a", b: "b", lagSteps: 1 });
    expect(top.long).toBeGreaterThan(0.8);
    expect(engine.typeCorrelations({ minAbs: 0.3 }).some((c) => c.a === "c" || c.b === "c")).toBe(false);
  });

  it("stays within its bounds, evicting the least seen", () => {
    const engine = new CorrelationEngine({ maxTypes: 10, maxShardlets: 30 });
    const rng = createRng(4);
    for (let t = 0; t < 400; t++) {
      const reads: Reads = new Map();
      read(reads, "hot", 5);
      for (let i = 0; i < 5; i++) read(reads, `cold-${rng.int(1000)}`);
      engine.step({ types: new Map([["steady", 2], [`rare-${rng.int(100)}`, 1]]), reads });
    }
    const data = engine.toData();
    expect(data.types.length).toBeLessThanOrEqual(10);
    expect(data.shardlets.length).toBeLessThanOrEqual(30);
    expect(data.types.some((t) => t.name === "steady")).toBe(true);
    expect(data.shardlets.some((s) => s.id === "hot")).toBe(true);
  });

  it("round-trips through JSON and goes on exactly as the original", () => {
    const a = new CorrelationEngine({ maxLagSteps: 4 });
    const rng = createRng(5);
    const pending = new Map<number, string[]>();
    const world: World = { announced: () => "s-3", orderRate: 0.3, follow: 0.9, lag: 3 };
    simulate(a, world, 0, 400, rng, pending);
    const b = CorrelationEngine.fromData(JSON.parse(JSON.stringify(a.toData())));
    expect(b.options).toEqual(a.options);
    expect(b.steps).toBe(a.steps);
    // Both see the same next steps (the open read windows travelled with the state).
    const rngA = createRng(6);
    const rngB = createRng(6);
    simulate(a, world, 400, 500, rngA, new Map(pending));
    simulate(b, world, 400, 500, rngB, new Map(pending));
    const close = (x: unknown, y: unknown): void => {
      if (typeof x === "number") expect(x).toBeCloseTo(y as number, 4);
      else if (x && typeof x === "object") {
        expect(Object.keys(x).sort()).toEqual(Object.keys(y as object).sort());
        for (const k of Object.keys(x)) close((x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]);
      } else expect(x).toEqual(y);
    };
    expect(Object.keys(a.probabilityMap())).toEqual(["order_placed"]);
    close(b.probabilityMap({ minP: 0.01, minLift: 1 }), a.probabilityMap({ minP: 0.01, minLift: 1 }));
    close(b.rates(), a.rates());
    close(b.typeCorrelations({ minAbs: 0 }), a.typeCorrelations({ minAbs: 0 }));
    expect(b.readProbability("s-3", 0)).toBeCloseTo(a.readProbability("s-3", 0), 4);
  });

  it("rejects state it did not write", () => {
    const good = new CorrelationEngine();
    good.step({ types: new Map([["x", 1]]), reads: new Map([["s", { count: 1 }]]) });
    const data = good.toData();
    const bad = (d: unknown) => {
      try {
        CorrelationEngine.fromData(d);
      } catch (err) {
        return isShardcastError(err) && err.code === "bad_request";
      }
      return false;
    };
    expect(bad(null)).toBe(true);
    expect(bad({ v: 2 })).toBe(true);
    expect(bad({ ...data, pairs: [[5, 0, [1, 1, 1, 1, 1, 1, 1]]] })).toBe(true);
    expect(bad({ ...data, types: [...data.types, data.types[0]] })).toBe(true);
    expect(bad(JSON.parse(JSON.stringify(data)))).toBe(false);
  });

  it("values a shardlet without an event by its re-reads soon after a read, else by its base rate", () => {
    const engine = new CorrelationEngine();
    for (let t = 0; t < 600; t++) {
      const reads: Reads = new Map();
      // s-burst is read in pairs of consecutive steps every 30 steps; s-steady every other step.
      if (t % 30 === 0 || t % 30 === 1) read(reads, "s-burst");
      if (t % 2 === 0) read(reads, "s-steady");
      engine.step({ types: new Map(), reads });
    }
    expect(engine.readProbability("unknown")).toBe(0);
    expect(engine.readProbability("s-steady")).toBeGreaterThan(0.95);
    // A window holds one of its reads in 7 of 30 steps; half of its reads are followed by another.
    const base = engine.readProbability("s-burst");
    expect(base).toBeGreaterThan(0.15);
    expect(base).toBeLessThan(0.3);
    const soon = engine.readProbability("s-burst", 1);
    expect(soon).toBeGreaterThan(base + 0.1);
    expect(soon).toBeLessThan(0.55);
    expect(engine.readProbability("s-burst", 7)).toBe(base);
  });
});
