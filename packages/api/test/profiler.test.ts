import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compileFields, keyHash, PROFILER_SETTINGS_KEY, ShardletProfile } from "@shardcast/core";
import { applyTelemetryBatch, createStream, getSettings, listShardlets } from "@shardcast/db";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness;
let viewer: string;
let operator: string;
let admin: string;

beforeAll(async () => {
  h = await startHarness();
  [viewer, operator, admin] = await Promise.all([h.sessionFor("viewer"), h.sessionFor("operator"), h.sessionFor("admin")]);
  const stream = await createStream(h.db, h.hosts, { name: "payments", shardCount: 2 });
  const [first] = (await listShardlets(h.db, { streamId: stream.id })).sort((a, b) => a.lo - b.lo);
  // A profile in which one key takes 90 % of the sampled writes, at a load that makes it matter.
  const p = new ShardletProfile();
  const fields = compileFields(["amount"]);
  for (let i = 0; i < 1000; i++) {
    const key = i % 10 === 0 ? `k${i}` : "whale";
    p.observe(key, { amount: i % 7 }, 120, (keyHash(key) - first!.lo) / (first!.hi - first!.lo), fields);
  }
  const now = Date.now();
  await applyTelemetryBatch(h.db, {
    id: "api-profile",
    claimedAtMs: now,
    deltas: {
      shardlets: [{ bucketStart: now - 60_000 - (now % 10_000), streamId: stream.id, shardletId: first!.id, writes: 300_000, reads: 0, bytesWritten: 3_000, bytesRead: 0, latencySumMs: 0, latencyCount: 0, latencyMaxMs: 0 }],
      hotKeys: [],
      clients: [],
      profiles: [{ bucketStart: now - 60_000, streamId: stream.id, shardletId: first!.id, profile: p.toData() }],
    },
  });
});
afterAll(() => h?.close());

interface Health {
  shardlets: Array<{ id: string; health: { score: number; weakest: string | null }; profile: { sampled: number; topKeys: Array<{ key: string }> } | null }>;
  streamProfile: { sampled: number; fields: Array<{ path: string; distinct: number; mean: number | null }> } | null;
  hosts: Array<{ health: { score: number } }>;
}

describe("profiler procedures", () => {
  it("shows each shardlet's health with the component that pulled it down, and the stream's profile", async () => {
    const res = await h.call<Health>("query", "profiler.health", { stream: "payments" }, viewer);
    expect(res.status).toBe(200);
    const [skewed, quiet] = res.data!.shardlets;
    expect(skewed!.health.weakest).toBe("key_skew");
    expect(skewed!.health.score).toBeLessThan(0.5);
    expect(skewed!.profile!.topKeys[0]!.key).toBe("whale");
    expect(quiet!.health.score).toBe(1);
    expect(res.data!.streamProfile!.sampled).toBe(1000);
    expect(res.data!.streamProfile!.fields[0]).toMatchObject({ path: "amount", distinct: 7 });
    expect(res.data!.hosts.length).toBeGreaterThan(0);
    const all = await h.call<Health>("query", "profiler.health", {}, viewer);
    expect(all.data!.shardlets.length).toBeGreaterThanOrEqual(2);
    expect(all.data!.streamProfile).toBeNull();
  });

  it("answers 401 without a session and 404 for an unknown stream", async () => {
    expect((await h.call("query", "profiler.health", { stream: "payments" })).status).toBe(401);
    expect((await h.call("query", "profiler.health", { stream: "nope" }, viewer)).status).toBe(404);
  });

  it("lets admins set key fields and thresholds per stream, validated and audited; a bad path stores nothing", async () => {
    const read = await h.call<{ settings: Record<string, unknown> }>("query", "profiler.settings", undefined, viewer);
    expect(read.status).toBe(200);
    const wanted = { ...read.data!.settings, healthThreshold: 0.6, streams: { payments: { keyFields: ["amount", "customer.id"], sampleRate: 0.5 } } };
    expect((await h.call("mutation", "profiler.updateSettings", wanted, operator)).status).toBe(403);
    const bad = await h.call<unknown>("mutation", "profiler.updateSettings", { ...wanted, streams: { payments: { keyFields: ["customer..id"] } } }, admin);
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.error)).toContain("not a field path");
    expect((await h.call("mutation", "profiler.updateSettings", { ...wanted, sampleRate: 2 }, admin)).status).toBe(400);
    expect((await getSettings(h.db))[PROFILER_SETTINGS_KEY]).toBeUndefined();

    const ok = await h.call<{ changed: string[] }>("mutation", "profiler.updateSettings", wanted, admin);
    expect(ok.status).toBe(200);
    expect(ok.data!.changed.sort()).toEqual(["healthThreshold", "streams"]);
    expect((await getSettings(h.db))[PROFILER_SETTINGS_KEY]).toMatchObject({ healthThreshold: 0.6, streams: { payments: { keyFields: ["amount", "customer.id"] } } });
    const health = await h.call<{ settings: { keyFields: string[]; sampleRate: number; healthThreshold: number } }>("query", "profiler.health", { stream: "payments" }, viewer);
    expect(health.data!.settings).toMatchObject({ keyFields: ["amount", "customer.id"], sampleRate: 0.5, healthThreshold: 0.6 });
  });

  it("queues an orchestrator run for operators, not viewers", async () => {
    expect((await h.call("mutation", "profiler.runNow", undefined, viewer)).status).toBe(403);
    const res = await h.call<{ jobId: string }>("mutation", "profiler.runNow", undefined, operator);
    expect(res.status).toBe(200);
    expect(res.data!.jobId).not.toBe("");
  });
});
