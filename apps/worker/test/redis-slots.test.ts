import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { BUCKET_KEY_KINDS, flushCommands, telemetryRedisKeys, type TelemetryDeltas } from "@shardcast/core";
import { waitFor } from "@shardcast/db/testing";
import { createQueue, createQueueEvents, DEFAULT_QUEUE_NAME, queuePrefix } from "@shardcast/jobs";
import { createRedis } from "@shardcast/runtime/redis";
import { spawnRedis, type SpawnedRedis } from "@shardcast/runtime/redis-resolve";
import { SequenceAllocator, sequenceKeys } from "@shardcast/runtime/sequence";
import { Worker } from "bullmq";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { claimBatch, readBatch, releaseBatch } from "../src/telemetry/claim.ts";

/**
 * Redis Cluster runs a MULTI, a script or a multi-key command only when all its keys hash to one
 * slot. A private cluster-mode redis-server owning every slot computes the slots (CLUSTER KEYSLOT)
 * and, used through a plain client, refuses with CROSSSLOT anything that would span two slots: so
 * the real operations run on it too, not just the key names.
 */

const PREFIXES = ["sc", "prod-eu.1", "a_b"];
const STREAMS = ["8d3c1f7e-0b7a-4c52-9a51-3f0d2b6e9c11", "s", "stream-42"];

let dir: string;
let server: SpawnedRedis;
let redis: Redis;

async function slotOf(key: string): Promise<number> {
  return Number(await redis.cluster("KEYSLOT", key));
}

async function expectOneSlot(what: string, keys: string[]): Promise<void> {
  expect(keys.length, what).toBeGreaterThan(1);
  const slots = new Set(await Promise.all(keys.map(slotOf)));
  expect([...slots], `${what}: ${keys.join(", ")}`).toHaveLength(1);
}

function deltas(streamId: string, bucketStart: number): TelemetryDeltas {
  const counters = { writes: 3, reads: 2, bytesWritten: 300, bytesRead: 200, latencySumMs: 4.5, latencyCount: 5, latencyMaxMs: 2 };
  return {
    shardlets: [{ bucketStart, streamId, shardletId: "sl-1", ...counters }],
    hotKeys: [{ bucketStart, streamId, key: "user-7", writes: 3, reads: 1, error: 0 }],
    clients: [{ bucketStart, streamId, shardletId: "sl-1", client: "reader-a", clientGroup: "g", reads: 2 }],
  };
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), "shardcast-slots-"));
  server = await spawnRedis({ dir, args: ["--cluster-enabled", "yes", "--cluster-config-file", path.join(dir, "nodes.conf")] });
  redis = createRedis(server.url, { forBullmq: true, name: "slots-test" });
  await redis.cluster("ADDSLOTSRANGE", 0, 16383);
  await waitFor("the one-node cluster to serve its slots", async () => /cluster_state:ok/.test(String(await redis.cluster("INFO"))));
});

afterAll(async () => {
  redis?.disconnect();
  await server?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe("key layout: every multi-key operation in one slot", () => {
  it("the sequence scripts: a stream's counter, ceiling, blocks in flight and owners", async () => {
    for (const prefix of PREFIXES) {
      for (const streamId of STREAMS) await expectOneSlot(`sequence ${prefix}/${streamId}`, Object.values(sequenceKeys(prefix, streamId)));
    }
  });

  it("the edge's telemetry flush MULTI, the rollup's claim script and its release MULTI", async () => {
    for (const prefix of PREFIXES) {
      const keys = telemetryRedisKeys(prefix);
      const flushed = flushCommands(prefix, deltas(STREAMS[0]!, 10_000), { ttlSec: 60 }).map((cmd) => String(cmd[1]));
      const claimed = BUCKET_KEY_KINDS.flatMap((k) => [keys.bucket(k, 10_000), keys.claimed("batch-1", k, 10_000)]);
      await expectOneSlot(`telemetry ${prefix}`, [...new Set([...flushed, ...claimed, keys.dirty, keys.batches])]);
    }
  });

  it("the job queue: every key BullMQ names for it, and the worker's schedules marker", async () => {
    for (const prefix of PREFIXES) {
      const queue = createQueue(redis, { prefix });
      try {
        const schedules = `${queuePrefix(prefix)}:${DEFAULT_QUEUE_NAME}:schedules`;
        await expectOneSlot(`queue ${prefix}`, [...Object.values(queue.keys).filter((k) => k !== ""), queue.toKey("job-1"), schedules]);
      } finally {
        await queue.close();
      }
    }
  });

  it("a MULTI over the untagged layout is refused here, so the runs below prove something", async () => {
    await expect(redis.multi().hincrby("sc:tm:c:10000", "f", 1).zadd("sc:tm:dirty", 10_000, "10000").exec()).rejects.toThrow(/CROSSSLOT/);
  });
});

describe("the operations themselves on a cluster-mode server", () => {
  it("allocates, renews, releases and reads the watermark of sequence blocks", async () => {
    let mark = 0;
    const seq = new SequenceAllocator(redis, {
      prefix: "sc",
      leaseMs: 500,
      reserve: (_streamId, atLeast, step) => Promise.resolve((mark = Math.max(mark, atLeast) + step)),
    });
    try {
      const a = await seq.allocate(STREAMS[0]!, 10);
      const b = await seq.allocate(STREAMS[1]!, 5);
      expect(await seq.watermark(STREAMS[0]!)).toBe(a.lo - 1);
      // Renewals cover both streams; wait for one to land (the owner's lease moves forward).
      const owners = sequenceKeys("sc", STREAMS[0]!).owners;
      const first = Number(Object.values(await redis.hgetall(owners))[0]);
      await waitFor("a lease renewal", async () => Number(Object.values(await redis.hgetall(owners))[0]) > first);
      await a.release();
      await b.release();
      expect(await seq.watermark(STREAMS[0]!)).toBe(a.hi);
    } finally {
      await seq.stop();
    }
  });

  it("flushes telemetry in one MULTI, claims, reads and releases it", async () => {
    const prefix = "sc";
    const res = await redis.multi(flushCommands(prefix, deltas(STREAMS[0]!, 20_000), { ttlSec: 60 })).exec();
    expect(res?.every(([err]) => err === null)).toBe(true);
    const batch = await claimBatch(redis, prefix, { id: "b-1", now: Date.now(), maxBuckets: 10 });
    expect(batch?.buckets).toEqual([20_000]);
    const { deltas: read } = await readBatch(redis, prefix, batch!);
    expect(read.shardlets).toMatchObject([{ streamId: STREAMS[0], shardletId: "sl-1", writes: 3 }]);
    await releaseBatch(redis, prefix, batch!);
    expect(await redis.keys(`${telemetryRedisKeys(prefix).root}*`)).toEqual([]);
  });

  it("runs a job through the queue", async () => {
    const prefix = "sc";
    const queue = createQueue(redis, { prefix });
    // QueueEvents blocks on a duplicate of the client it is given and closes only that one.
    const eventsClient = createRedis(server.url, { forBullmq: true });
    const events = createQueueEvents(eventsClient, { prefix });
    const worker = new Worker(DEFAULT_QUEUE_NAME, () => Promise.resolve("done"), { connection: redis, prefix: queuePrefix(prefix) });
    try {
      await events.waitUntilReady();
      const job = await queue.add("housekeeping", {});
      expect(await job.waitUntilFinished(events, 20_000)).toBe("done");
    } finally {
      await worker.close();
      await queue.close();
      await events.close();
      eventsClient.disconnect();
    }
  });
});
