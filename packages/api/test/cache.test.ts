import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CorrelationEngine } from "@shardcast/core";
import { READ_CACHE_SETTINGS_KEY } from "@shardcast/core";
import { createStream, listShardlets } from "@shardcast/db";
import { readCacheKeys, writePrefetchMap } from "@shardcast/runtime";
import { startHarness, type Harness } from "./harness.ts";
import { expectAdminOnlySettings } from "./settings-procedures.ts";

let h: Harness;
let viewer: string;
let operator: string;
let admin: string;
const streams: Record<string, string> = {};

beforeAll(async () => {
  h = await startHarness();
  [viewer, operator, admin] = await Promise.all([h.sessionFor("viewer"), h.sessionFor("operator"), h.sessionFor("admin")]);
  for (const name of ["orders", "audit-log"]) streams[name] = (await createStream(h.db, h.hosts, { name, shardCount: 1 })).id;
});
afterAll(async () => {
  await h?.close();
});

const counters = (at: number, hits: number, misses: number, bytesFromCache: number, bytesFromHosts: number, prefetchedBytes = 0, wastedPrefetchBytes = 0) => ({
  at,
  hits,
  misses,
  bytesFromCache,
  bytesFromHosts,
  prefetchedBytes,
  wastedPrefetchBytes,
});

function snapshot(edgeId: string, at: number, c: ReturnType<typeof counters>, shardlets: Array<{ streamId: string; shardletId: string; hits: number; misses: number }>) {
  return {
    edgeId,
    queued: 3,
    waiting: 2,
    ...c,
    hostReadsSaved: 12,
    prefetches: 4,
    wastedPrefetches: 1,
    entries: 7,
    bytes: 16 * 1024 * 1024,
    maxBytes: 64 * 1024 * 1024,
    shardlets: shardlets.map((s) => ({ ...s, bytesFromCache: s.hits * 100, bytesFromHosts: s.misses * 100 })),
  };
}

interface Overview {
  stream: { name: string } | null;
  edges: Array<{
    edgeId: string;
    ageSec: number;
    hitRatio: number | null;
    byteHitRatio: number | null;
    budgetUsed: number | null;
    wastedShare: number | null;
    hostReadsSaved: number;
    queued: number;
    waiting: number;
    series: Array<{ at: number; hitRatio: number | null; byteHitRatio: number | null; prefetchedBytes: number; wastedBytes: number }>;
  }>;
  shardlets: Array<{ streamName: string | null; shardletId: string; hits: number; misses: number; hitRatio: number | null; edges: number }>;
}

describe("cache.overview", () => {
  it("shows each edge's latest snapshot and its hit ratio over time from the deltas between snapshots", async () => {
    const prefix = h.freshPrefix("cache");
    const now = Date.now();
    // Cumulative counters: the overall hit ratio ends at 40/60, but the cache hit every read in the
    // second interval and none in the third, which only the deltas show.
    const history = [
      counters(now - 15_000, 0, 0, 0, 0),
      counters(now - 10_000, 10, 10, 1_000, 1_000, 500, 0),
      counters(now - 5_000, 40, 10, 4_000, 1_000, 1_500, 100),
      counters(now, 40, 20, 4_000, 3_000, 1_500, 400),
    ];
    const orders = streams.orders!;
    const audit = streams["audit-log"]!;
    const a = snapshot("edge-a", now, history[3]!, [
      { streamId: orders, shardletId: "s-busy", hits: 30, misses: 10 },
      { streamId: audit, shardletId: "s-audit", hits: 45, misses: 0 },
      { streamId: "gone-stream", shardletId: "s-old", hits: 1, misses: 0 },
    ]);
    // An edge of an earlier version sends no count of announcements waiting for their first read.
    const { waiting: _notSent, ...b } = snapshot("edge-b", now - 2_000, counters(now - 2_000, 0, 0, 0, 0), [{ streamId: orders, shardletId: "s-busy", hits: 5, misses: 5 }]);
    const stale = snapshot("edge-gone", now - 2 * 3_600_000, counters(now - 2 * 3_600_000, 1, 1, 1, 1), []);
    await h.redis.hset(readCacheKeys.stats(prefix), { "edge-a": JSON.stringify(a), "edge-b": JSON.stringify(b), "edge-gone": JSON.stringify(stale), "edge-garbled": "{not json" });
    await h.redis.lpush(readCacheKeys.history(prefix, "edge-a"), ...history.map((x) => JSON.stringify(x)));

    const res = await h.call<Overview>("query", "cache.overview", {}, viewer, { redisPrefix: prefix });
    expect(res.status).toBe(200);
    const edges = res.data!.edges;
    expect(edges.map((e) => e.edgeId)).toEqual(["edge-a", "edge-b"]);
    const [ea, eb] = edges;
    expect(ea!.hitRatio).toBeCloseTo(40 / 60);
    expect(ea!.byteHitRatio).toBeCloseTo(4 / 7);
    expect(ea!.budgetUsed).toBeCloseTo(0.25);
    expect(ea!.wastedShare).toBeCloseTo(400 / 1500);
    expect(ea).toMatchObject({ hostReadsSaved: 12, queued: 3, waiting: 2 });
    expect(eb!.waiting).toBe(0);
    expect(ea!.ageSec).toBeLessThan(60);
    expect(ea!.series.map((p) => p.hitRatio)).toEqual([0.5, 1, 0]);
    expect(ea!.series.map((p) => p.byteHitRatio)).toEqual([0.5, 1, 0]);
    expect(ea!.series.map((p) => [p.prefetchedBytes, p.wastedBytes])).toEqual([
      [500, 0],
      [1_000, 100],
      [0, 300],
    ]);
    expect(ea!.series.map((p) => p.at)).toEqual(history.slice(1).map((x) => x.at));
    // No reads yet is no ratio at all, not a 0 % one.
    expect(eb).toMatchObject({ hitRatio: null, byteHitRatio: null, series: [] });

    // Busiest first; one shardlet cached on two edges is one row; a deleted stream has no name.
    expect(res.data!.shardlets.map((s) => [s.streamName, s.shardletId, s.hits, s.misses, s.edges])).toEqual([
      ["orders", "s-busy", 35, 15, 2],
      ["audit-log", "s-audit", 45, 0, 1],
      [null, "s-old", 1, 0, 1],
    ]);

    const one = await h.call<Overview>("query", "cache.overview", { stream: "orders" }, viewer, { redisPrefix: prefix });
    expect(one.data!.stream!.name).toBe("orders");
    expect(one.data!.shardlets.map((s) => s.shardletId)).toEqual(["s-busy"]);
    expect(one.data!.shardlets[0]!.hitRatio).toBeCloseTo(0.7);
    expect(one.data!.edges).toHaveLength(2);
  });

  it("gives each busy shardlet its state, so one a split or merge retired shows as retired", async () => {
    const prefix = h.freshPrefix("cache");
    const now = Date.now();
    const stream = await createStream(h.db, h.hosts, { name: "cache-retired", shardCount: 2 });
    const [old, live] = await listShardlets(h.db, { streamId: stream.id });
    // Edges keep serving a retired shardlet's cached reads until they learn of the split.
    await h.db.shardlet.update({ where: { id: old!.id }, data: { state: "retired", retiredAt: new Date() } });
    const snap = snapshot("edge-r", now, counters(now, 30, 10, 3_000, 1_000), [
      { streamId: stream.id, shardletId: old!.id, hits: 20, misses: 5 },
      { streamId: stream.id, shardletId: live!.id, hits: 10, misses: 5 },
      { streamId: stream.id, shardletId: "s-pruned", hits: 1, misses: 0 },
    ]);
    await h.redis.hset(readCacheKeys.stats(prefix), { "edge-r": JSON.stringify(snap) });

    const res = await h.call<{ shardlets: Array<{ shardletId: string; state: string | null; range: { lo: number; hi: number } | null }> }>(
      "query",
      "cache.overview",
      { stream: "cache-retired" },
      viewer,
      { redisPrefix: prefix },
    );
    expect(res.status).toBe(200);
    expect(res.data!.shardlets.map((x) => [x.shardletId, x.state, x.range])).toEqual([
      [old!.id, "retired", { lo: old!.lo, hi: old!.hi }],
      [live!.id, "active", { lo: live!.lo, hi: live!.hi }],
      // A shardlet the control database no longer knows has neither.
      ["s-pruned", null, null],
    ]);
  });

  it("answers with no edges before any edge reported, 401 without a session, 404 for an unknown stream", async () => {
    const prefix = h.freshPrefix("cache");
    const res = await h.call<Overview>("query", "cache.overview", {}, viewer, { redisPrefix: prefix });
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ edges: [], shardlets: [], stream: null });
    expect((await h.call("query", "cache.overview", {}, null, { redisPrefix: prefix })).status).toBe(401);
    const unknown = await h.call("query", "cache.overview", { stream: "nope" }, viewer, { redisPrefix: prefix });
    expect(unknown.status).toBe(404);
    expect(unknown.error!.data.scCode).toBe("not_found");
  });
});

interface Prefetch {
  map: { threshold: number; ageSec: number; types: number; entries: number } | null;
  rows: Array<{ eventType: string; shardletId: string; range: { lo: number; hi: number } | null; p: number; lagSeconds: number; lift: number; target: string | null; aboveThreshold: boolean }>;
  rates: Array<{ type: string; short: number; long: number }>;
  correlations: Array<{ a: string; b: string; lagSteps: number; lagSeconds: number; short: number; long: number }>;
  note: string | null;
  prefetchEnabled: boolean;
}

describe("cache.prefetch", () => {
  it("flattens the stream's published map to rows, busiest type first, and shows the engine's rates and correlations", async () => {
    const prefix = h.freshPrefix("cache");
    const now = Date.now();
    const orders = streams.orders!;
    // One real shardlet, so its key-hash range comes back; made-up ids have none.
    const [real] = await listShardlets(h.db, { streamId: orders });
    await writePrefetchMap(h.redis, prefix, {
      streamId: orders,
      at: now - 4_000,
      stepMs: 10_000,
      threshold: 0.3,
      map: {
        refund: { "s-3": { p: 0.5, lagSteps: 3, lift: 2.5, target: null } },
        order: {
          "s-2": { p: 0.2, lagSteps: 2, lift: 1.6, target: "billing-1" },
          [real!.id]: { p: 0.9, lagSteps: 1, lift: 4, target: "shipping-2" },
        },
      },
    });
    // Orders arrive in bursts; a refund follows each burst one step later. The engine learns both
    // the rates (orders twice as often) and the lagged correlation.
    const engine = new CorrelationEngine();
    for (let i = 0; i < 120; i++) {
      const burst = i % 3 === 0 ? 6 : i % 3 === 1 ? 0 : 2;
      const prev = (i - 1) % 3 === 0 ? 6 : (i - 1) % 3 === 1 ? 0 : 2;
      const types = new Map<string, number>([["order", burst], ...(i > 0 && prev > 0 ? ([["refund", prev / 2]] as const) : [])]);
      engine.step({ types, reads: new Map() });
    }
    await h.redis.set(readCacheKeys.engine(prefix, orders), JSON.stringify({ lastStep: now, data: engine.toData() }));

    const res = await h.call<Prefetch>("query", "cache.prefetch", { stream: "orders" }, viewer, { redisPrefix: prefix });
    expect(res.status).toBe(200);
    const d = res.data!;
    expect(d.map).toMatchObject({ threshold: 0.3, types: 2, entries: 3 });
    expect(d.map!.ageSec).toBeGreaterThanOrEqual(4);
    expect(d.rows.map((r) => [r.eventType, r.shardletId, r.p, r.lagSeconds, r.target, r.aboveThreshold])).toEqual([
      ["order", real!.id, 0.9, 10, "shipping-2", true],
      ["order", "s-2", 0.2, 20, "billing-1", false],
      ["refund", "s-3", 0.5, 30, null, true],
    ]);
    expect(d.rows.map((r) => r.range)).toEqual([{ lo: real!.lo, hi: real!.hi }, null, null]);
    expect(d.rates.map((r) => r.type)).toEqual(["order", "refund"]);
    // 8 orders per 3 steps of 10 s.
    expect(d.rates[0]!.long).toBeGreaterThan(0.2);
    expect(d.rates[0]!.long).toBeLessThan(0.35);
    expect(d.correlations.find((c) => c.a === "order" && c.b === "refund" && c.lagSteps === 1)).toMatchObject({ lagSeconds: 10 });
    expect(d.note).toBeNull();

    // Only the busiest types' rows when asked for fewer.
    const top = await h.call<Prefetch>("query", "cache.prefetch", { stream: "orders", types: 1 }, viewer, { redisPrefix: prefix });
    expect(new Set(top.data!.rows.map((r) => r.eventType))).toEqual(new Set(["order"]));
    expect(top.data!.map!.types).toBe(2);
  });

  it("says no correlation was learned yet when nothing was published, and 404s an unknown stream", async () => {
    const prefix = h.freshPrefix("cache");
    const res = await h.call<Prefetch>("query", "cache.prefetch", { stream: "audit-log" }, viewer, { redisPrefix: prefix });
    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ map: null, rows: [], rates: [], correlations: [], note: "no correlation learned yet", prefetchEnabled: true });
    const unknown = await h.call("query", "cache.prefetch", { stream: "nope" }, viewer, { redisPrefix: prefix });
    expect(unknown.status).toBe(404);
    expect(unknown.error!.message).toContain('"nope"');
    expect((await h.call("query", "cache.prefetch", { stream: "orders" }, null, { redisPrefix: prefix })).status).toBe(401);
  });
});

describe("cache settings", () => {
  it("lets admins change them, validated and audited; viewers and operators only read them", async () => {
    await expectAdminOnlySettings(h, { viewer, operator, admin }, {
      query: "cache.settings",
      mutation: "cache.updateSettings",
      key: READ_CACHE_SETTINGS_KEY,
      defaults: { prefetchEnabled: true, prefetchThreshold: 0.5, minLift: 1.5, topPerType: 8, correlateFields: [] },
      change: { field: "prefetchThreshold", to: 0.45 },
      invalid: { field: "prefetchThreshold", to: 0, message: "prefetchThreshold: prefetch threshold must be at least 0.01" },
      alsoInvalid: { topPerType: 2.5 },
      logged: "changed read cache settings: prefetchThreshold 0.5 -> 0.45",
    });
  });

  it("takes payload fields to correlate on, and refuses bad paths with a 400", async () => {
    const ok = await h.call<{ settings: { correlateFields: string[] }; changed: string[] }>("mutation", "cache.updateSettings", { correlateFields: ["user", "geo.region"] }, admin);
    expect(ok.status).toBe(200);
    expect(ok.data!.settings.correlateFields).toEqual(["user", "geo.region"]);
    expect(ok.data!.changed).toContain("correlateFields");
    for (const bad of [["a b"], ["user", "user"], ["a", "b", "c", "d", "e"], ["x".repeat(65)]]) {
      const res = await h.call("mutation", "cache.updateSettings", { correlateFields: bad }, admin);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(res.error!.message).toContain("correlateFields");
    }
    const back = await h.call("mutation", "cache.updateSettings", { correlateFields: [] }, admin);
    expect(back.status).toBe(200);
  });
});
