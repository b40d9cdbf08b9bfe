import { randomBytes } from "node:crypto";
import { compileFields, keyHash, PROFILER_SETTINGS_KEY, ShardletProfile, type ProfileDelta, type ShardletDelta } from "@shardcast/core";
import { applyTelemetryBatch, dismissAnalyzerProposal, getAnalyzerProposal, listAnalyzerProposals, listPlannerNotes, updateSetting, type ControlDb } from "@shardcast/db";
import { createTestCluster, type TestCluster } from "@shardcast/db/testing";
import { createQueue, type JobQueue } from "@shardcast/jobs";
import { createLogger } from "@shardcast/runtime/logger";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runOrchestrator } from "../src/orchestrator/run.ts";

const REDIS_URL = testRedisUrl();
let cluster: TestCluster;
let db: ControlDb;
let connection: Redis;
let queue: JobQueue;
const now = Date.now();
let shardlets: Array<{ id: string; lo: number; hi: number; hostId: string }> = [];
const log = createLogger({ test: "orchestrator" }, { level: "error" });
const deps = () => ({ db, log, clock: () => now });

/** Keys whose hashes fall in [from, to) of the shardlet's range (fractions), found by search. */
function keysIn(s: { lo: number; hi: number }, from: number, to: number, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) {
    const k = `key-${i}`;
    const pos = (keyHash(k) - s.lo) / (s.hi - s.lo);
    if (pos >= from && pos < to) out.push(k);
  }
  return out;
}

beforeAll(async () => {
  cluster = await createTestCluster({ hosts: 3, stream: `orch-${randomBytes(3).toString("hex")}`, shardCount: 1, shardletsPerShard: 4 });
  db = cluster.db;
  connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  queue = createQueue(connection, { prefix: `sc_test_orch_${randomBytes(4).toString("hex")}` });
  const rows = await db.shardlet.findMany({ where: { streamId: cluster.streamId }, orderBy: { lo: "asc" } });
  shardlets = rows.map((r) => ({ id: r.id, lo: Number(r.lo), hi: Number(r.hi), hostId: r.hostId }));

  // Two shardlets write 6,000 events/s (above the 5,000 split write rate) for the last two minutes:
  // the first over many keys crowded in the top quarter of its range, the second mostly one key.
  const [hotRange, hotKey] = shardlets as [(typeof shardlets)[0], (typeof shardlets)[0]];
  const writes: ShardletDelta[] = [];
  for (let b = now - 130_000; b < now - 10_000; b += 10_000) {
    for (const s of [hotRange, hotKey]) {
      writes.push({ bucketStart: b - (b % 10_000), streamId: cluster.streamId, shardletId: s.id, writes: 60_000, reads: 0, bytesWritten: 60_000, bytesRead: 0, latencySumMs: 0, latencyCount: 0, latencyMaxMs: 0 });
    }
  }
  const fields = compileFields(["amount"]);
  const range = new ShardletProfile();
  for (const k of keysIn(hotRange, 0.75, 1, 2000)) range.observe(k, { amount: 1 }, 100, (keyHash(k) - hotRange.lo) / (hotRange.hi - hotRange.lo), fields);
  const key = new ShardletProfile();
  const others = keysIn(hotKey, 0, 1, 400);
  const celebrity = others[0]!;
  for (let i = 0; i < 2000; i++) {
    const k = i % 5 === 0 ? others[i % others.length]! : celebrity;
    key.observe(k, { amount: 2 }, 100, (keyHash(k) - hotKey.lo) / (hotKey.hi - hotKey.lo), fields);
  }
  const profiles: ProfileDelta[] = [
    { bucketStart: now - 60_000, streamId: cluster.streamId, shardletId: hotRange.id, profile: range.toData() },
    { bucketStart: now - 60_000, streamId: cluster.streamId, shardletId: hotKey.id, profile: key.toData() },
  ];
  await applyTelemetryBatch(db, { id: "orch-1", claimedAtMs: now, deltas: { shardlets: writes, hotKeys: [], clients: [], profiles } });
});

afterAll(async () => {
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  connection?.disconnect();
  await cluster?.drop();
});

describe("the orchestrator", () => {
  it("proposes a split at the profiled median for a hot range and notes that a single hot key cannot be split", async () => {
    const r = await runOrchestrator(deps(), { trigger: "schedule" });
    expect(r.unhealthy).toBe(2);
    const open = await listAnalyzerProposals(db, { status: "open", source: "orchestrator", limit: 50 });
    expect(open).toHaveLength(1);
    const split = open[0]!;
    const hotRange = shardlets[0]!;
    expect(split).toMatchObject({ kind: "split", shardletId: hotRange.id, source: "orchestrator", runId: null });
    const at = split.details!.splitAt as number;
    // Keys sit in the top quarter, so the profiled median cuts well above the middle.
    expect((at - hotRange.lo) / (hotRange.hi - hotRange.lo)).toBeGreaterThan(0.8);
    expect(split.reason).toMatch(/profiled median/);

    const notes = await listPlannerNotes(db, { source: "orchestrator" });
    const note = notes.find((n) => n.shardletId === shardlets[1]!.id);
    expect(note?.message).toMatch(/cannot split a single key/);
    expect(note?.message).toMatch(/salt the key/);

    // The next run keeps the same open proposal instead of replacing it under an operator's click.
    await runOrchestrator(deps(), { trigger: "schedule" });
    const again = await listAnalyzerProposals(db, { status: "open", source: "orchestrator", limit: 50 });
    expect(again.map((p) => p.id)).toEqual([split.id]);
  });

  it("keeps a dismissed split dismissed while the shardlet is as it was, and asks again once it is materially worse", async () => {
    const [split] = await listAnalyzerProposals(db, { status: "open", source: "orchestrator", limit: 50 });
    await dismissAnalyzerProposal(db, split!.id, "ops@example.com");
    await runOrchestrator(deps(), { trigger: "schedule" });
    expect(await listAnalyzerProposals(db, { status: "open", source: "orchestrator", limit: 50 })).toEqual([]);
    expect((await getAnalyzerProposal(db, split!.id))?.status).toBe("dismissed");

    // As if the operator had dismissed it when the shardlet was far healthier than it is now.
    await db.analyzerProposal.update({ where: { id: split!.id }, data: { expectedBenefit: split!.expectedBenefit / 2 } });
    await runOrchestrator(deps(), { trigger: "schedule" });
    const back = await listAnalyzerProposals(db, { status: "open", source: "orchestrator", limit: 50 });
    expect(back.map((p) => [p.kind, p.shardletId])).toEqual([["split", shardlets[0]!.id]]);
    expect(back[0]!.id).not.toBe(split!.id);
    const after = back[0]!.details?.afterDismissal as { proposalId?: string; why?: string } | undefined;
    expect(after?.proposalId).toBe(split!.id);
    expect(after?.why).toMatch(/benefit rose/);
  });

  it("applies its splits itself when auto-apply is on, cutting at the profiled median", async () => {
    await updateSetting(db, PROFILER_SETTINGS_KEY, { autoApply: true }, null);
    const r = await runOrchestrator(deps(), { trigger: "schedule", queue });
    expect(r.applied).toBe(1);
    const jobs = await queue.getJobs(["waiting", "delayed", "prioritized"]);
    const split = jobs.find((j) => j.name === "shardlet.split");
    expect(split?.data).toMatchObject({ shardletId: shardlets[0]!.id, actor: "orchestrator" });
    expect(typeof (split?.data as { splitAt?: number }).splitAt).toBe("number");
    expect(await listAnalyzerProposals(db, { status: "open", source: "orchestrator", limit: 50 })).toHaveLength(0);
  });

  it("skips scheduled runs while the profiler is disabled", async () => {
    await updateSetting(db, PROFILER_SETTINGS_KEY, { enabled: false }, null);
    expect((await runOrchestrator(deps(), { trigger: "schedule" })).skipped).toMatch(/disabled/);
  });
});
