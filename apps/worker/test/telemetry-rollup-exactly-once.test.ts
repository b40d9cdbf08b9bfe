import { randomUUID } from "node:crypto";
import { flushCommands, telemetryRedisKeys, type TelemetryDeltas } from "@shardcast/core";
import { hotKeys, telemetryBatchApplied, telemetryTotals, type ControlDb } from "@shardcast/db";
import type { TestCluster } from "@shardcast/db/testing";
import type { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import type { WorkerDeps } from "../src/deps.ts";
import { runHousekeeping } from "../src/processors/housekeeping.ts";
import { runTelemetryRollup } from "../src/processors/telemetry-rollup.ts";
import { claimBatch, pendingBatches } from "../src/telemetry/claim.ts";
import { useTelemetryCluster } from "./telemetry-rollup-harness.ts";

/**
 * The rollup's batches applied exactly once when a run dies after claiming or after committing, the
 * retention it applies per resolution, and housekeeping's retention of host samples.
 */

let cluster: TestCluster;
let db: ControlDb;
let redis: Redis;
let prefix: string;
let deps: WorkerDeps;

useTelemetryCluster((t) => ({ cluster, db, redis, prefix, deps } = t));

describe("exactly once across crashes", () => {
  const stream = `crash-${randomUUID()}`;
  const bucket = Math.floor(Date.now() / 10_000) * 10_000;
  const delta = (writes: number): TelemetryDeltas => ({
    shardlets: [{ bucketStart: bucket, streamId: stream, shardletId: `${stream}-a`, writes, reads: 1, bytesWritten: writes * 10, bytesRead: 5, latencySumMs: writes, latencyCount: writes, latencyMaxMs: 3 }],
    hotKeys: [{ bucketStart: bucket, streamId: stream, key: "hot", writes, reads: 0, error: 0 }],
    clients: [{ bucketStart: bucket, streamId: stream, shardletId: `${stream}-a`, client: "c", clientGroup: "g", reads: 1 }],
  });
  /** What an edge's flush does. */
  const flush = async (d: TelemetryDeltas) => {
    await redis.multi(flushCommands(prefix, d, { ttlSec: 600 })).exec();
  };
  const writes = async () => (await telemetryTotals(db, { streamId: stream, from: bucket - 60_000, to: bucket + 60_000 })).writes;

  it("a rollup that dies after committing is not applied twice", async () => {
    await flush(delta(7));
    const crashed = runTelemetryRollup(deps, {
      redis,
      prefix,
      afterApply: () => {
        throw new Error("worker died before releasing the batch");
      },
    });
    await expect(crashed).rejects.toThrow(/worker died/);
    expect(await writes()).toBe(7);
    const left = await pendingBatches(redis, prefix);
    expect(left.batches).toHaveLength(1);
    expect(await telemetryBatchApplied(db, left.batches[0]!.id)).toBe(true);

    const r = await runTelemetryRollup(deps, { redis, prefix });
    expect(r).toMatchObject({ batches: 1, resumed: 1, applied: 0 });
    expect(await writes()).toBe(7);
    expect((await pendingBatches(redis, prefix)).batches).toHaveLength(0);
  });

  it("a rollup that dies after claiming is applied by the next run, with flushes that came after the claim", async () => {
    await flush(delta(5));
    const claimed = await claimBatch(redis, prefix, { id: randomUUID(), now: Date.now(), maxBuckets: 60 });
    expect(claimed?.buckets).toEqual([bucket]);
    // An edge flushes into the same bucket after the claim: fresh keys, dirty again.
    await flush(delta(2));
    const r = await runTelemetryRollup(deps, { redis, prefix });
    expect(r).toMatchObject({ resumed: 1, applied: 2, batches: 2 });
    expect(await writes()).toBe(7 + 5 + 2);
    const hot = await hotKeys(db, { streamId: stream, resolution: 60, from: bucket - 60_000, to: bucket + 60_000 });
    expect(hot).toEqual([expect.objectContaining({ key: "hot", writes: 14 })]);
    expect(await redis.keys(`${telemetryRedisKeys(prefix).root}*`)).toEqual([]);
  });

  it("applies retention per resolution and trims closed buckets' hot keys", async () => {
    const day = 86_400_000;
    const old = Math.floor((Date.now() - 2 * day) / 3_600_000) * 3_600_000;
    const many: TelemetryDeltas = {
      shardlets: [{ ...delta(1).shardlets[0]!, bucketStart: old }],
      hotKeys: Array.from({ length: 60 }, (_, i) => ({ bucketStart: old, streamId: stream, key: `k${i}`, writes: 100 - i, reads: 0, error: 0 })),
      clients: [],
    };
    await flush(many);
    const r = await runTelemetryRollup(deps, { redis, prefix });
    expect(r.applied).toBe(1);
    // 10 s rows older than a day are gone; the minute and hour rows stay.
    expect(await writes()).toBe(14);
    const range = { streamId: stream, from: old, to: old + 3_600_000 };
    expect((await telemetryTotals(db, { ...range, resolution: 10 })).writes).toBe(0);
    expect((await telemetryTotals(db, { ...range, resolution: 60 })).writes).toBe(1);
    expect((await telemetryTotals(db, { ...range, resolution: 3600 })).writes).toBe(1);
    // Each closed bucket the late batch reached keeps its 50 busiest keys (10 trimmed at each of
    // three resolutions); then the 10 s rows (a shardlet row and 50 keys) fall out of retention.
    expect(r.retention).toMatchObject({ trimmed: 30, deleted: 51 });
    const busiest = Array.from({ length: 50 }, (_, i) => `k${i}`);
    expect((await hotKeys(db, { ...range, resolution: 60, limit: 100 })).map((h) => h.key)).toEqual(busiest);
    expect((await hotKeys(db, { ...range, resolution: 3600, limit: 100 })).map((h) => h.key)).toEqual(busiest);
  });

  it("housekeeping deletes host samples past retention", async () => {
    const hostId = cluster.hostIds[0]!;
    await db.hostResourceSample.create({
      data: { hostId, at: new Date(Date.now() - 15 * 86_400_000), dbSizeBytes: 1n, commits: 1n, rowsWritten: 1n, blocksRead: 1n, blocksHit: 1n, connections: 1 },
    });
    const before = await db.hostResourceSample.count();
    const r = await runHousekeeping(deps);
    expect(r.hostResources).toBe(1);
    expect(await db.hostResourceSample.count()).toBe(before - 1);
  });
});
