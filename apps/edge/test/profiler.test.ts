import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeBucket, mergeProfileData, PROFILER_SETTINGS_KEY, summarizeProfile, telemetryRedisKeys } from "@shardcast/core";
import { updateSetting } from "@shardcast/db";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { post, startHarness, totalRows, type Harness } from "./harness.ts";

const REDIS_URL = testRedisUrl();
let h: Harness;
let redis: Redis;
beforeAll(async () => {
  h = await startHarness();
  redis = new Redis(REDIS_URL);
});
afterAll(async () => {
  await redis?.quit();
  await h?.close();
});

/** Every profile the edge flushed to Redis, merged per shardlet. */
async function flushedProfiles() {
  await h.edge.telemetry.flush();
  const keys = telemetryRedisKeys(h.prefix);
  const buckets = (await redis.zrange(keys.dirty, 0, -1)).map(Number);
  const raw: unknown[] = [];
  for (const b of buckets) {
    const d = decodeBucket(b, { counters: {}, maxima: [], hotKeys: {}, clients: {}, profiles: await redis.lrange(keys.bucket("f", b), 0, -1) });
    expect(d.malformed).toBe(0);
    for (const p of d.deltas.profiles ?? []) raw.push(p.profile);
  }
  return summarizeProfile(mergeProfileData(raw));
}

describe("the edge's data profiler", () => {
  it("profiles key fields from odd payloads without failing a single write", async () => {
    await updateSetting(
      h.db,
      PROFILER_SETTINGS_KEY,
      { sampleRate: 1, streams: { [h.stream]: { keyFields: ["amount", "user.id", "does.not.exist", "items[3].sku"] } } },
      null,
    );
    await h.edge.telemetry.refreshProfilerSettings();
    let deep: unknown = { amount: 1 };
    // As deep as ingest accepts (it refuses more than 64 levels with a 400 before anything is stored).
    for (let i = 0; i < 60; i++) deep = { n: deep };
    const odd: unknown[] = [
      { amount: 12.5, user: { id: "u1" } },
      { amount: "twelve", user: { id: 7 } },
      { amount: null, user: "not an object" },
      { amount: { nested: true }, items: [1, 2] },
      deep,
      { amount: [1, 2, 3], user: [1, 2] },
      { amount: true, user: { id: null } },
      {},
      { user: { id: { deeper: ["x"] } } },
      { amount: 1e308, user: { id: "u1" }, items: [{}, {}, {}, { sku: "x".repeat(500) }] },
    ];
    const events = Array.from({ length: 200 }, (_, i) => ({ id: `p-${i}`, key: `user-${i % 50}`, payload: odd[i % odd.length] }));
    const res = await post(h, `/v1/streams/${h.stream}/events`, { events });
    expect(res.body).toMatchObject({ accepted: 200 });
    expect(res.status).toBe(200);
    expect(await totalRows(h)).toBe(200);

    const p = await flushedProfiles();
    expect(p.sampled).toBe(200);
    expect(p.distinctKeys).toBe(50);
    const field = (path: string) => p.fields.find((f) => f.path === path)!;
    expect(field("does.not.exist").missingRate).toBe(1);
    const amount = field("amount");
    expect(amount.seen).toBe(200);
    // Numbers profiled (12.5 and 1e308), strings counted as non-numeric, objects as complex, nulls as null.
    expect(amount.numericShare).toBeGreaterThan(0);
    expect(amount.numericShare).toBeLessThan(1);
    expect(amount.nullRate).toBeCloseTo(20 / 200, 9);
    expect(amount.complexRate).toBeCloseTo(40 / 200, 9);
    expect(amount.missingRate).toBeCloseTo(60 / 200, 9);
    expect(field("items[3].sku").topValues[0]!.value.length).toBe(64);
    expect(p.ackP99Ms).not.toBeNull();
  });

  it("samples about `sample_rate` of the events, and nothing once the rate is 0", async () => {
    await updateSetting(h.db, PROFILER_SETTINGS_KEY, { sampleRate: 0.1, streams: { [h.stream]: { keyFields: ["k"] } } }, null);
    await h.edge.telemetry.refreshProfilerSettings();
    await flushedProfiles();
    const before = (await flushedProfiles()).sampled;
    for (let b = 0; b < 10; b++) {
      const events = Array.from({ length: 500 }, (_, i) => ({ key: `s-${b}-${i}`, payload: { k: i } }));
      expect((await post(h, `/v1/streams/${h.stream}/events`, { events })).status).toBe(200);
    }
    const sampled = (await flushedProfiles()).sampled - before;
    // Binomial(5000, 0.1): mean 500, sd 21; six sd either side.
    expect(sampled).toBeGreaterThan(370);
    expect(sampled).toBeLessThan(630);

    await updateSetting(h.db, PROFILER_SETTINGS_KEY, { sampleRate: 0 }, null);
    await h.edge.telemetry.refreshProfilerSettings();
    const events = Array.from({ length: 100 }, (_, i) => ({ key: `z-${i}`, payload: { k: i } }));
    expect((await post(h, `/v1/streams/${h.stream}/events`, { events })).status).toBe(200);
    expect((await flushedProfiles()).sampled).toBe(sampled + before);
  });
});
