import { randomBytes } from "node:crypto";
import { forecastStartMs, parseAnalyzerSettings } from "@shardcast/core";
import { listAnalyzerProposals, listHostResourceSamples, listHosts, listShardlets, setHostCapacityOverride, updateAnalyzerSettings, type ControlDb } from "@shardcast/db";
import { createTestCluster, type TestCluster } from "@shardcast/db/testing";
import { createLogger } from "@shardcast/runtime/logger";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAnalyzer } from "../src/analyzer/run.ts";
import { runHostResources } from "../src/processors/host-resources.ts";
import { backdateShardlets } from "./analyzer-telemetry.ts";

const log = createLogger({ test: "host-capacity" }, { level: "error" });
const SETTINGS = { bucketSec: 10, horizonSec: 120, historySteps: 30, telemetryLagSec: 0, period: 60 };

/** 10 s buckets ending at `endMs`, each with its write rate (events/s) and mean ack latency (ms), oldest first. */
async function insertBuckets(db: ControlDb, q: { streamId: string; shardletId: string; endMs: number; steps: ReadonlyArray<[rate: number, latencyMs: number]> }): Promise<void> {
  const start = q.endMs - q.steps.length * 10_000;
  await db.telemetryBucket.createMany({
    data: q.steps.map(([rate, latencyMs], i) => ({
      resolution: 10,
      bucketStart: new Date(start + i * 10_000),
      shardletId: q.shardletId,
      streamId: q.streamId,
      writes: BigInt(rate * 10),
      bytesWritten: BigInt(rate * 1000),
      latencySumMs: latencyMs * rate * 10,
      latencyCount: BigInt(rate * 10),
      latencyMaxMs: latencyMs * 2,
    })),
  });
}

async function migrateProposalsFrom(db: ControlDb, hostId: string): Promise<number> {
  const open = await listAnalyzerProposals(db, { status: "open", kind: "migrate", limit: 50 });
  return open.filter((p) => p.sourceHostId === hostId).length;
}

describe("measured host capacity", () => {
  let c: TestCluster;
  let hostA: string;
  let hostB: string;
  const nowMs = Date.now();
  const deps = () => ({ db: c.db, hosts: c.hosts, log, clock: () => nowMs });

  beforeAll(async () => {
    c = await createTestCluster({ hosts: 2, stream: `cap-${randomBytes(3).toString("hex")}`, shardCount: 1, shardletsPerShard: 4 });
    await updateAnalyzerSettings(c.db, SETTINGS, null);
    await c.db.host.updateMany({ data: { capacityEventsPerSec: 5000 } });
    await backdateShardlets(c.db, c.streamId, nowMs);
    const shardlets = await listShardlets(c.db, { streamId: c.streamId });
    hostA = shardlets[0]!.hostId;
    hostB = c.hostIds.find((h) => h !== hostA)!;
    const end = forecastStartMs(nowMs, parseAnalyzerSettings(SETTINGS));
    // Host A's two shardlets: 100 events/s each at 10 ms, then 300 each at 80 ms: the host stopped
    // keeping up near 600 events/s. Host B's stay at 20 events/s and 10 ms.
    const slow: Array<[number, number]> = [...new Array<[number, number]>(10).fill([100, 10]), ...new Array<[number, number]>(20).fill([300, 80])];
    const calm = new Array<[number, number]>(30).fill([20, 10]);
    for (const s of shardlets) await insertBuckets(c.db, { streamId: c.streamId, shardletId: s.id, endMs: end, steps: s.hostId === hostA ? slow : calm });
  });
  afterAll(async () => {
    await c?.drop();
  });

  it("plans on the configured figure while nothing is measured: no move off a host at an eighth of it", async () => {
    const run = await runAnalyzer(deps(), { trigger: "manual" });
    expect(run.runId).not.toBeNull();
    expect(await migrateProposalsFrom(c.db, hostA)).toBe(0);
  });

  it("host.resources stores the hosts' statistics with their writers' load and latency, and learns host A's capacity", async () => {
    const r = await runHostResources(deps());
    expect(r.failed).toEqual([]);
    expect(r.sampled).toBe(2);
    const samples = await listHostResourceSamples(c.db, { fromMs: nowMs, toMs: nowMs + 1 });
    const a = samples.find((s) => s.hostId === hostA)!;
    expect(a.walBytes).toBeGreaterThan(0);
    expect(a.activeBackends).toBeGreaterThanOrEqual(0);
    expect(a.lockWaits).toBe(0);
    expect(a.loadEventsPerSec).toBeCloseTo(600, 6);
    expect(a.ackLatencyMs).toBeCloseTo(80, 6);

    const hosts = new Map((await listHosts(c.db)).map((h) => [h.id, h]));
    expect(hosts.get(hostA)).toMatchObject({ measuredCapacityEventsPerSec: 600, effectiveCapacityEventsPerSec: 600, capacitySource: "measured", capacityEventsPerSec: 5000 });
    expect(hosts.get(hostA)!.measuredCapacityNote).toMatch(/latency rose past 20 ms/);
    // Host B never got busy: it keeps its configured figure.
    expect(hosts.get(hostB)).toMatchObject({ measuredCapacityEventsPerSec: null, effectiveCapacityEventsPerSec: 5000, capacitySource: "configured" });
  });

  it("the analyzer moves load off the host on its measured capacity, and an override puts it back on the operator's figure", async () => {
    await runAnalyzer(deps(), { trigger: "manual" });
    expect(await migrateProposalsFrom(c.db, hostA)).toBeGreaterThan(0);

    await setHostCapacityOverride(c.db, hostA, 5000);
    expect((await listHosts(c.db)).find((h) => h.id === hostA)).toMatchObject({ effectiveCapacityEventsPerSec: 5000, capacitySource: "override" });
    await runAnalyzer(deps(), { trigger: "manual" });
    expect(await migrateProposalsFrom(c.db, hostA)).toBe(0);
    await setHostCapacityOverride(c.db, hostA, null);
    await expect(setHostCapacityOverride(c.db, hostA, 0)).rejects.toThrow(/capacity override/);
  });
});
