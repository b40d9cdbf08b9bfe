import { describe, expect, it } from "vitest";
import { AttributeCorrelations, createRng, fieldValue, readCacheSettingsSchema, SpaceSaving, simulatePredictive, SourceScores, userTrace, type AttributeStep } from "../src/index.ts";

type Reads = Map<string, { count: number; target?: string }>;

/**
 * Users u-0..u-19 each own shardlet home-<u>; one user's event a step, followed two steps later
 * by reads of its home (70% of the time); background reads go to bg-0..bg-29; `rare` values (each seen
 * once) are written besides.
 */
function feed(a: AttributeCorrelations, steps: number, rare = 0): void {
  const rng = createRng("attrs");
  const pending = new Map<number, string[]>();
  for (let t = 0; t < steps; t++) {
    const users = new Map<string, number>();
    const reads: Reads = new Map();
    for (let k = 0; k < 1; k++) {
      const u = rng.int(20);
      users.set(`u-${u}`, (users.get(`u-${u}`) ?? 0) + 1);
      if (rng.chance(0.7)) pending.set(t + 2, [...(pending.get(t + 2) ?? []), `home-${u}`]);
    }
    for (let k = 0; k < rare; k++) users.set(`rare-${t}-${k}`, 1);
    for (const id of pending.get(t) ?? []) reads.set(id, { count: 2, target: "session" });
    pending.delete(t);
    for (let k = 0; k < 3; k++) reads.set(`bg-${rng.int(30)}`, { count: 1 });
    a.step({ values: new Map([["user", users]]), reads } satisfies AttributeStep);
  }
}

describe("attribute correlations", () => {
  it("learns which shardlets a value's events announce", () => {
    const a = new AttributeCorrelations(["user"]);
    feed(a, 900);
    const row = a.predict("user", "u-3", { minP: 0.5, minLift: 1.5 });
    expect(Object.keys(row)).toEqual(["home-3"]);
    expect(row["home-3"]!.lagSteps).toBe(2);
    expect(row["home-3"]!.target).toBe("session");
    expect(a.attributeMap({ minP: 0.5 }).user!["u-7"]).toHaveProperty("home-7");
  });

  it("stays bounded however many values a field has, and survives a round trip", () => {
    const a = new AttributeCorrelations(["user"], 20);
    feed(a, 600, 20);
    expect(a.sketchSize("user")).toBeLessThanOrEqual(80);
    const data = a.toData();
    const engine = data.fields[0]!.engine as { types: unknown[] };
    expect(engine.types.length).toBeLessThanOrEqual(40);
    // The twenty users are the heavy hitters: the one-off values never took their places.
    expect(Object.keys(a.attributeMap({ minP: 0.5 }).user ?? {}).every((v) => v.startsWith("u-"))).toBe(true);
    const back = AttributeCorrelations.fromData(JSON.parse(JSON.stringify(data)));
    const [was, is] = [a.predict("user", "u-3", { minP: 0.5 }), back.predict("user", "u-3", { minP: 0.5 })];
    expect(Object.keys(is)).toEqual(Object.keys(was));
    for (const [id, t] of Object.entries(was)) expect(is[id]!.p).toBeCloseTo(t.p, 3);
    expect(() => AttributeCorrelations.fromData({ v: 2 })).toThrow(/attribute correlation state/);
  });

  it("forgets a field no longer configured", () => {
    const a = new AttributeCorrelations(["user", "region"]);
    a.configure(["region"]);
    expect(a.fields).toEqual(["region"]);
  });

  it("keeps the heaviest values in a small decayed sketch, and a value that went quiet gives way", () => {
    const h = new SpaceSaving(4);
    for (let i = 0; i < 50; i++) {
      h.add("a", 3);
      h.add("b", 2);
      h.add(`once-${i}`);
      h.scale(2 ** (-1 / 100));
    }
    expect(h.size).toBe(4);
    expect(h.top(2).map((e) => e.item).sort()).toEqual(["a", "b"]);
    // "a" stops; "c" comes as often as "a" did: after a few half-lives "c" ranks above it.
    for (let i = 0; i < 400; i++) {
      h.add("b", 2);
      h.add("c", 3);
      h.scale(2 ** (-1 / 100));
    }
    expect(h.top(2).map((e) => e.item).sort()).toEqual(["b", "c"]);
  });
});

describe("source scores", () => {
  it("cuts a source whose prefetched bytes go unread, and lets it try again once that is old", () => {
    const s = new SourceScores({ halfLifeMs: 1000 });
    expect(s.allowed("field:user", 0)).toBe(true);
    for (let i = 0; i < 10; i++) s.settled("field:user", 100, i % 5 === 0, i);
    expect(s.allowed("field:user", 10)).toBe(false);
    for (let i = 0; i < 10; i++) s.settled("type", 100, true, i);
    expect(s.allowed("type", 10)).toBe(true);
    expect(s.allowed("field:user", 20_000)).toBe(true);
  });

  it("an unhelpful field falls out in the cache simulation", () => {
    const trace = userTrace({ seed: "unhelpful", steps: 500, stepMs: 10_000, clustered: false });
    const budget = 0.1 * trace.workingSetBytes;
    const r = simulatePredictive(trace.events, budget, { threshold: 0.5, stepMs: 10_000, bandwidthBytesPerStep: 0.25 * budget, fields: ["user"], sourceScores: { minShare: 0.9 } });
    const user = r.sources?.find((x) => x.source === "field:user");
    if (user) expect(user.allowed).toBe(false);
  });

  it("a field whose values announce reads raises the hit ratio", () => {
    const trace = userTrace({ seed: "helpful", steps: 720, stepMs: 10_000, clustered: true });
    const budget = 0.1 * trace.workingSetBytes;
    const opts = { threshold: 0.5, stepMs: 10_000, bandwidthBytesPerStep: 0.25 * budget, minLift: 1.5, topPerType: 8 };
    const types = simulatePredictive(trace.events, budget, opts);
    const fields = simulatePredictive(trace.events, budget, { ...opts, fields: ["user"] });
    expect(fields.hitRatio).toBeGreaterThan(types.hitRatio);
  });
});

describe("correlate fields setting", () => {
  it("defaults to none and validates paths", () => {
    expect(readCacheSettingsSchema.parse({}).correlateFields).toEqual([]);
    expect(readCacheSettingsSchema.parse({ correlateFields: ["user", "geo.region"] }).correlateFields).toEqual(["user", "geo.region"]);
    for (const bad of [["a b"], ["x".repeat(65)], ["a", "b", "c", "d", "e"], ["user", "user"], [""], ["a..b"]]) expect(readCacheSettingsSchema.safeParse({ correlateFields: bad }).success).toBe(false);
  });

  it("reads a scalar at a dotted path", () => {
    const p = { user: "u-1", geo: { region: "eu" }, n: 3, list: [1], obj: { a: 1 } };
    expect(fieldValue(p, "user")).toBe("u-1");
    expect(fieldValue(p, "geo.region")).toBe("eu");
    expect(fieldValue(p, "n")).toBe("3");
    expect(fieldValue(p, "list")).toBeNull();
    expect(fieldValue(p, "obj")).toBeNull();
    expect(fieldValue(p, "missing.x")).toBeNull();
    expect(fieldValue(null, "user")).toBeNull();
  });
});
