import { randomBytes } from "node:crypto";
import { HostPool, registerHost, type ControlDb } from "@shardcast/db";
import { createTestControlDb, createTestHostDb } from "@shardcast/db/testing";
import { createQueueEvents, enqueue, type JobName } from "@shardcast/jobs";
import { createLogger } from "@shardcast/runtime/logger";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import type { QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import type { WorkerDeps } from "../src/deps.ts";
import { startWorker, type RunningWorker } from "../src/worker.ts";

/**
 * A running worker (its own queue, no schedule) on a control database of its own with two
 * registered host databases, whose processors read the test's clock.
 */

const REDIS_URL = testRedisUrl();

export type TestHostDb = Awaited<ReturnType<typeof createTestHostDb>>;

export interface WorkerHarness {
  db: ControlDb;
  hosts: HostPool;
  /** The host databases dropped at the end: the two registered at the start and any a test adds. */
  hostDbs: TestHostDb[];
  connection: Redis;
  running: RunningWorker;
  /** The Redis prefix of the worker's queue and channels. */
  prefix: string;
  /** Queues a job and waits for its result. */
  runJob: (name: JobName) => Promise<unknown>;
}

/** For a test file: starts the worker before its tests (handed to `ready`) and stops it, dropping what it made, after them. */
export function useWorkerHarness(clock: () => number, ready: (w: WorkerHarness) => void): void {
  const prefix = `sc_test_${randomBytes(4).toString("hex")}`;
  let control: Awaited<ReturnType<typeof createTestControlDb>> | undefined;
  const hostDbs: TestHostDb[] = [];
  let hosts: HostPool | undefined;
  let connection: Redis | undefined;
  let running: RunningWorker | undefined;
  let queueEvents: QueueEvents | undefined;

  beforeAll(async () => {
    control = await createTestControlDb();
    const db = control.db;
    hostDbs.push(await createTestHostDb(), await createTestHostDb());
    for (const [i, h] of hostDbs.entries()) await registerHost(db, { name: `host-${i}`, dsn: h.dsn });
    hosts = new HostPool(db, { onError: () => undefined });
    connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const deps: WorkerDeps = {
      db,
      hosts,
      log: createLogger({ test: "worker" }, { level: "error" }),
      clock,
      pingTimeoutMs: 2_000,
    };
    const worker = await startWorker(deps, {
      connection,
      prefix,
      concurrency: 2,
      schedule: false,
      accountingEveryMs: 5_000,
      healthEveryMs: 10_000,
    });
    running = worker;
    const events = createQueueEvents(connection, { prefix });
    queueEvents = events;
    await events.waitUntilReady();
    const runJob = async (name: JobName): Promise<unknown> => {
      const job = await enqueue(worker.queue, name, {});
      return job.waitUntilFinished(events, 20_000);
    };
    ready({ db, hosts, hostDbs, connection, running: worker, prefix, runJob });
  });

  afterAll(async () => {
    await running?.worker.close();
    await running?.queue.obliterate({ force: true });
    await running?.close();
    await queueEvents?.close();
    await hosts?.closeAll();
    await control?.drop();
    for (const h of hostDbs) await h.drop();
    if (connection) {
      const keys = [...(await connection.keys(`${prefix}:*`)), ...(await connection.keys(`{${prefix}}:*`))];
      if (keys.length > 0) await connection.del(...keys);
      connection.disconnect();
    }
  });
}
