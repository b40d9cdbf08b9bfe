import { randomBytes } from "node:crypto";
import { declarePeriodicJobs, HostPool, listPeriodicJobs } from "@shardcast/db";
import { createTestControlDb } from "@shardcast/db/testing";
import { createQueue, scheduleRepeating, type JobName, type JobQueue } from "@shardcast/jobs";
import { createLogger } from "@shardcast/runtime/logger";
import { createRedis } from "@shardcast/runtime/redis";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type RunningWorker } from "../src/worker.ts";

/**
 * Schedules live in Redis, not in the worker: a period of 0 must remove the schedule an earlier
 * worker declared, or "0 turns it off" holds only on an empty Redis.
 */
const REDIS_URL = testRedisUrl();
const prefix = `sc_test_sched_off_${randomBytes(4).toString("hex")}`;

const TURNED_OFF = ["orchestrator.run", "cache.correlate", "placement.run", "replica.sync", "prealloc.run", "prealloc.train", "model.train"] as const satisfies readonly JobName[];

let control: Awaited<ReturnType<typeof createTestControlDb>>;
let hosts: HostPool;
let connection: Redis;
let earlier: JobQueue;
let running: RunningWorker | undefined;

beforeAll(async () => {
  control = await createTestControlDb();
  hosts = new HostPool(control.db, { onError: () => undefined });
  connection = createRedis(REDIS_URL, { forBullmq: true });
  // What an earlier worker with these schedules on leaves behind. Their first runs lie an hour
  // away so that none of them runs during the test.
  earlier = createQueue(connection, { prefix });
  const hour = 3_600_000;
  await scheduleRepeating(earlier, "orchestrator.run", hour, { trigger: "schedule" }, { firstAfterMs: hour });
  await scheduleRepeating(earlier, "cache.correlate", hour, undefined, { firstAfterMs: hour });
  await scheduleRepeating(earlier, "placement.run", hour, { trigger: "schedule" }, { firstAfterMs: hour });
  await scheduleRepeating(earlier, "replica.sync", hour, undefined, { firstAfterMs: hour });
  await scheduleRepeating(earlier, "prealloc.run", hour, undefined, { firstAfterMs: hour });
  await scheduleRepeating(earlier, "prealloc.train", hour, { trigger: "schedule" }, { firstAfterMs: hour });
  await scheduleRepeating(earlier, "model.train", hour, { kind: "all", trigger: "schedule" }, { firstAfterMs: hour });
  await declarePeriodicJobs(control.db, TURNED_OFF.map((name) => ({ name, everyMs: hour })));
});

afterAll(async () => {
  await running?.close();
  await earlier?.obliterate({ force: true });
  await earlier?.close();
  if (connection) {
    const keys = [...(await connection.keys(`${prefix}:*`)), ...(await connection.keys(`{${prefix}}:*`))];
    if (keys.length > 0) await connection.del(...keys);
    connection.disconnect();
  }
  await hosts?.closeAll();
  await control?.drop();
});

describe("a schedule turned off with a period of 0", () => {
  it("is removed from Redis and from the control database even though an earlier worker declared it", async () => {
    const before = (await earlier.getJobSchedulers()).map((s) => s.key);
    expect(before.sort()).toEqual([...TURNED_OFF].sort());

    running = await startWorker(
      { db: control.db, hosts, log: createLogger({ test: "schedules-off" }, { level: "error" }), clock: Date.now },
      {
        connection,
        prefix,
        concurrency: 2,
        accountingEveryMs: 60_000,
        healthEveryMs: 60_000,
        hintDebounceMs: 0,
        shutdownGraceMs: 5_000,
        orchestratorEveryMs: 0,
        correlateEveryMs: 0,
        placementEveryMs: 0,
        replicaSyncEveryMs: 0,
        preallocEveryMs: 0,
        preallocTrainEveryMs: 0,
        trainEveryMs: 0,
      },
    );

    const declared = (await running.queue.getJobSchedulers()).map((s) => s.key);
    expect(declared).toContain("host.health");
    for (const name of TURNED_OFF) expect(declared).not.toContain(name);
    // Nor is the run an earlier schedule had already queued left behind.
    const pending = (await running.queue.getJobs(["delayed", "waiting"])).map((j) => j.name);
    for (const name of TURNED_OFF) expect(pending).not.toContain(name);

    const rows = (await listPeriodicJobs(control.db)).map((r) => r.name);
    expect(rows).toContain("host.health");
    for (const name of TURNED_OFF) expect(rows).not.toContain(name);
  });
});
