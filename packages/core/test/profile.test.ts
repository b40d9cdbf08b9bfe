import { describe, expect, it } from "vitest";
import {
  compileFields,
  HLL_STANDARD_ERROR,
  HyperLogLog,
  keyFieldProblem,
  keyHash,
  mergeProfileData,
  planOrchestration,
  profilerSettingsSchema,
  QUANTILE_RELATIVE_ACCURACY,
  ShardletProfile,
  shardletHealth,
  summarizeProfile,
  type OrchestratorInput,
} from "../src/index.ts";
import { healthInputBase, orchestratorInput } from "./orchestrator-fixtures.ts";

/** Deterministic pseudo-random numbers (mulberry32), so a failure reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("HyperLogLog", () => {
  it("counts 10^6 distinct keys within three standard errors, and survives encoding", () => {
    const h = new HyperLogLog();
    for (let i = 0; i < 1_000_000; i++) h.add(`user-${i}`);
    const est = h.estimate();
    expect(Math.abs(est - 1e6) / 1e6).toBeLessThan(3 * HLL_STANDARD_ERROR);
    expect(HyperLogLog.decode(h.encode()).estimate()).toBe(est);
  });

  it("is exact-ish on small sets (linear counting) and merges as a union", () => {
    const a = new HyperLogLog();
    const b = new HyperLogLog();
    for (let i = 0; i < 300; i++) a.add(`k${i}`);
    for (let i = 200; i < 500; i++) b.add(`k${i}`);
    expect(Math.abs(a.estimate() - 300)).toBeLessThan(10);
    const sparse = HyperLogLog.decode(a.encode());
    sparse.merge(b);
    expect(Math.abs(sparse.estimate() - 500)).toBeLessThan(15);
    expect(HyperLogLog.decode("not base64 at all!").estimate()).toBe(0);
  });
});

describe("profile statistics", () => {
  const fields = compileFields(["amount", "user.id", "tags[0]"]);
  const events = (() => {
    const r = rng(7);
    return Array.from({ length: 20_000 }, (_, i) => {
      const amount = 50 + 30 * (r() + r() + r() - 1.5);
      const payload = i % 10 === 0 ? { user: { id: `u${i % 97}` } } : { amount, user: { id: `u${i % 97}` }, tags: [i % 3 === 0 ? "a" : "b"] };
      return { key: `k${Math.floor(r() * 5000)}`, payload, size: 100 + Math.floor(r() * 900) };
    });
  })();

  it("matches exact mean, standard deviation and size quantiles within the sketch's bound", () => {
    const p = new ShardletProfile();
    for (const e of events) p.observe(e.key, e.payload, e.size, keyHash(e.key) / 2 ** 32, fields);
    const s = summarizeProfile(p);
    const amounts = events.map((e) => (e.payload as { amount?: number }).amount).filter((a): a is number => a !== undefined);
    const mean = amounts.reduce((a, b) => a + b, 0) / amounts.length;
    const std = Math.sqrt(amounts.reduce((a, b) => a + (b - mean) ** 2, 0) / amounts.length);
    const amount = s.fields.find((f) => f.path === "amount")!;
    expect(amount.mean).toBeCloseTo(mean, 9);
    expect(amount.std).toBeCloseTo(std, 9);
    expect(amount.missingRate).toBeCloseTo(0.1, 9);
    expect(s.fields.find((f) => f.path === "user.id")!.distinct).toBeGreaterThanOrEqual(95);
    expect(s.fields.find((f) => f.path === "user.id")!.distinct).toBeLessThanOrEqual(99);
    const sizes = events.map((e) => e.size).sort((a, b) => a - b);
    for (const [q, got] of [[0.5, s.sizes!.p50], [0.9, s.sizes!.p90], [0.99, s.sizes!.p99]] as const) {
      const exact = sizes[Math.ceil(q * sizes.length) - 1]!;
      expect(Math.abs(got - exact) / exact).toBeLessThanOrEqual(QUANTILE_RELATIVE_ACCURACY + 1e-9);
    }
    expect(Math.abs(s.distinctKeys - new Set(events.map((e) => e.key)).size) / 5000).toBeLessThan(3 * HLL_STANDARD_ERROR);
  });

  it("merged from two edges equals the profile of one edge that saw everything", () => {
    const one = new ShardletProfile();
    const a = new ShardletProfile();
    const b = new ShardletProfile();
    events.forEach((e, i) => {
      const pos = keyHash(e.key) / 2 ** 32;
      one.observe(e.key, e.payload, e.size, pos, fields);
      (i % 3 === 0 ? a : b).observe(e.key, e.payload, e.size, pos, fields);
    });
    one.ack.add(12, 500);
    a.ack.add(12, 200);
    b.ack.add(12, 300);
    // Through the wire format, as Redis and PostgreSQL carry them.
    const merged = summarizeProfile(mergeProfileData([JSON.parse(JSON.stringify(a.toData())), JSON.parse(JSON.stringify(b.toData()))]));
    const whole = summarizeProfile(one);
    expect(merged.sampled).toBe(whole.sampled);
    expect(merged.keyBins).toEqual(whole.keyBins);
    expect(merged.distinctKeys).toBe(whole.distinctKeys);
    expect(merged.sizes).toEqual(whole.sizes);
    expect(merged.ackP99Ms).toBe(whole.ackP99Ms);
    for (const f of whole.fields) {
      const m = merged.fields.find((x) => x.path === f.path)!;
      expect(m.seen).toBe(f.seen);
      expect(m.missingRate).toBe(f.missingRate);
      expect(m.distinct).toBe(f.distinct);
      if (f.mean !== null) {
        expect(m.mean).toBeCloseTo(f.mean, 9);
        expect(m.std).toBeCloseTo(f.std!, 9);
      }
      // Top values are exact only for true heavy hitters (Space-Saving's guarantee), e.g. tags[0].
      if (f.topShare > 0.2) expect(m.topValues[0]?.value).toBe(f.topValues[0]?.value);
    }
  });

  it("profiles or skips bad input without throwing: missing paths, wrong types, deep nesting, huge values", () => {
    const p = new ShardletProfile();
    let deep: unknown = { amount: 1 };
    for (let i = 0; i < 10_000; i++) deep = { next: deep };
    const odd: unknown[] = [null, "text", 3, [1, 2], { amount: "12" }, { amount: null }, { amount: { x: 1 } }, { amount: Number.NaN }, deep, { user: "flat" }, { tags: "no-array" }, { amount: "x".repeat(1_000_000) }];
    for (const payload of odd) p.observe("k", payload, 10, 0.5, fields);
    const s = summarizeProfile(ShardletProfile.fromData(JSON.parse(JSON.stringify(p.toData()))));
    const amount = s.fields.find((f) => f.path === "amount")!;
    expect(amount.seen).toBe(odd.length);
    expect(amount.mean).toBeNull();
    expect(amount.nullRate).toBeCloseTo(1 / odd.length, 9);
    expect(amount.topValues.every((v) => v.value.length <= 64)).toBe(true);
    expect(ShardletProfile.fromData({ sampled: "x", fields: 3, sizes: { p: "@@", n: 5 } }).sampled).toBe(0);
  });

  it("refuses key-field paths that cannot be paths, with a reason", () => {
    expect(keyFieldProblem("user.id")).toBeNull();
    expect(keyFieldProblem("$.items[0].price")).toBeNull();
    expect(keyFieldProblem("user..id")).toMatch(/not a field path/);
    expect(keyFieldProblem("")).toMatch(/empty/);
    expect(profilerSettingsSchema.safeParse({ streams: { s: { keyFields: ["a", "a"] } } }).success).toBe(false);
    expect(profilerSettingsSchema.parse({}).sampleRate).toBe(0.05);
  });
});

function profileOf(keys: () => string, n: number): ShardletProfile {
  const p = new ShardletProfile();
  for (let i = 0; i < n; i++) {
    const k = keys();
    p.observe(k, {}, 100, keyHash(k) / 2 ** 32, []);
  }
  p.ack.add(5, n);
  return p;
}

const base = healthInputBase;

describe("shardlet health", () => {
  it("scores a skewed shardlet lower than a uniform one at the same load, and names skew", () => {
    const r = rng(3);
    const uniform = shardletHealth({ ...base, profile: summarizeProfile(profileOf(() => `k${Math.floor(r() * 10_000)}`, 5000)) });
    const skewed = shardletHealth({ ...base, profile: summarizeProfile(profileOf(() => (r() < 0.7 ? "celebrity" : `k${Math.floor(r() * 10_000)}`), 5000)) });
    expect(skewed.score).toBeLessThan(uniform.score);
    expect(skewed.score).toBeLessThan(0.5);
    expect(skewed.weakest).toBe("key_skew");
    expect(skewed.components.find((c) => c.name === "key_skew")!.detail).toContain("celebrity");
    expect(uniform.score).toBeGreaterThan(0.8);
  });

  it("names load, growth and latency when they are what pulls the score down", () => {
    expect(shardletHealth({ ...base, writeRate: 6000, profile: null }).weakest).toBe("load");
    expect(shardletHealth({ ...base, sizeBytes: 79e6, bytesPerSec: 1e5, profile: null }).weakest).toBe("size_growth");
    const slow = new ShardletProfile();
    slow.ack.add(900, 100);
    expect(shardletHealth({ ...base, writeRate: 100, profile: summarizeProfile(slow) }).weakest).toBe("latency");
    expect(shardletHealth({ ...base, writeRate: 100, profile: null }).score).toBe(1);
  });
});

describe("orchestrator", () => {
  const r = rng(11);
  // Keys crowd the upper quarter of the shardlet's range: a hot range a split can divide.
  const hotRange = profileOf(() => `k${Math.floor(r() * 1e6)}`, 4000);
  hotRange.keyBins = hotRange.keyBins.map((_, i) => (i >= 24 ? 500 : 10));
  const hotKey = profileOf(() => (r() < 0.8 ? "celebrity" : `k${Math.floor(r() * 1e6)}`), 4000);
  const input = (profile: ShardletProfile, over: Partial<OrchestratorInput> = {}): OrchestratorInput => {
    const summary = summarizeProfile(profile);
    return orchestratorInput(summary, shardletHealth({ ...base, writeRate: 5500, profile: summary }), over);
  };

  it("proposes a split at the profiled median for a hot range", () => {
    const actions = planOrchestration(input(hotRange));
    expect(actions).toHaveLength(1);
    const a = actions[0]!;
    expect(a.kind).toBe("split");
    if (a.kind !== "split") return;
    expect(a.shardletId).toBe("a");
    // The median of the bins lies in the upper quarter, well past the midpoint.
    expect(a.splitAt / 2 ** 31).toBeGreaterThan(0.75);
    expect(a.reason).toMatch(/profiled median/);
  });

  it("writes a note, not a split, for a single hot key", () => {
    const actions = planOrchestration(input(hotKey));
    expect(actions).toHaveLength(1);
    const a = actions[0]!;
    expect(a.kind).toBe("note");
    if (a.kind !== "note") return;
    expect(a.message).toMatch(/cannot split a single key/);
    expect(a.message).toContain("celebrity");
    expect(a.recommendation).toMatch(/salt the key/);
    expect(a.recommendation).toMatch(/dedicated shardlet/);
  });

  it("moves to the neighbour's host at max_shards, and says why not when the window is too short", () => {
    const atMax = planOrchestration(input(hotRange, { settings: { healthThreshold: 0.5, migrationWindowSec: 900, maxShards: 2 } }));
    expect(atMax[0]).toMatchObject({ kind: "migrate", shardletId: "a", destHostId: "h2", neighbourId: "b" });
    const slow = planOrchestration(input(hotRange, { settings: { healthThreshold: 0.5, migrationWindowSec: 10, maxShards: 2 }, copyRowsPerSec: 100 }));
    expect(slow[0]).toMatchObject({ kind: "note" });
    expect(slow[0]!.kind === "note" && slow[0]!.message).toMatch(/max_shards.*migration window/);
  });
});
