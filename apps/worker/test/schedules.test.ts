import { HostPool, listPeriodicJobs } from "@shardcast/db";
import { createTestControlDb, waitFor } from "@shardcast/db/testing";
import { createLogger } from "@shardcast/runtime/logger";
import { createRedis } from "@shardcast/runtime/redis";
import { ownRedis, type OwnRedis } from "@shardcast/runtime/testing/own-redis";
import type { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startWorker, type RunningWorker } from "../src/worker.ts";

// A Redis of this file's own: the test empties it, which the shared one must never be.
let server: OwnRedis;
let connection: Redis;
let control: Awaited<ReturnType<typeof createTestControlDb>>;
let hosts: HostPool;
let running: RunningWorker;
/** Scheduled runs the worker completed: job name and when. */
const completed: Array<{ name: string; at: number }> = [];

beforeAll(async () => {
  server = await ownRedis("worker-redis");
  connection = createRedis(server.url, { forBullmq: true });
  control = await createTestControlDb();
  hosts = new HostPool(control.db, { onError: () => undefined });
  running = await startWorker(
    { db: control.db, hosts, log: createLogger({ test: "schedules" }, { level: "error" }), clock: Date.now },
    // No training schedule: a training run started by the test would hold the teardown for minutes.
    // No orchestrator schedule either (its runs are tested on their own): every schedule fires at
    // start, and on a loaded machine the teardown waits for that burst; this test needs only a few.
    { connection, prefix: "sched", concurrency: 2, accountingEveryMs: 500, healthEveryMs: 500, scheduleCheckMs: 200, hintDebounceMs: 0, trainEveryMs: 0, orchestratorEveryMs: 0, correlateEveryMs: 0, shutdownGraceMs: 5_000 },
  );
  running.worker.on("completed", (job) => {
    if (job.repeatJobKey) completed.push({ name: job.name, at: job.finishedOn ?? Date.now() });
  });
});

afterAll(async () => {
  await running?.close();
  connection?.disconnect();
  await hosts?.closeAll();
  await control?.drop();
  await server?.close();
});

const ranSince = (name: string, t: number) => completed.some((c) => c.name === name && c.at >= t);

describe("periodic jobs after Redis loses its data", () => {
  it("are declared again and run, and their runs are recorded in the control database", async () => {
    const started = Date.now();
    await waitFor("a scheduled health check", () => ranSince("host.health", started));
    const declared = (await running.queue.getJobSchedulers()).map((s) => s.key).sort();
    expect(declared).toContain("host.health");

    // What a restart without persistence leaves: nothing.
    await connection.flushall();
    const flushed = Date.now();
    await waitFor("a scheduled health check after the flush", () => ranSince("host.health", flushed));
    await waitFor("a scheduled accounting run after the flush", () => ranSince("shardlet.accounting", flushed));
    // The schedules are declared again one after the other; the first may already have run while
    // the last are still being declared.
    const schedulers = async () => (await running.queue.getJobSchedulers()).map((s) => s.key).sort();
    await waitFor("every schedule declared again", async () => (await schedulers()).length >= declared.length);
    expect(await schedulers()).toEqual(declared);

    // The console reads the last completion of every schedule from the control database.
    await waitFor("the health check's run to be recorded", async () => {
      const row = (await listPeriodicJobs(control.db)).find((j) => j.name === "host.health");
      return (row?.lastCompletedAt?.getTime() ?? 0) >= flushed;
    });
    const rows = await listPeriodicJobs(control.db);
    expect(rows.map((r) => r.name).sort()).toEqual(declared);
    expect(rows.find((r) => r.name === "host.health")?.everyMs).toBe(500);
  });
});
