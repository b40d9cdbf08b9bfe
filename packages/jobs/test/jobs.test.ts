import { randomBytes } from "node:crypto";
import { isShardcastError } from "@shardcast/core";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import type { QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createJobWorker,
  createQueue,
  createQueueEvents,
  enqueue,
  JOB_NAMES,
  jobCatalog,
  scheduleRepeating,
  unscheduleRepeating,
  type JobContext,
  type JobHandlers,
  type JobQueue,
  type JobWorker,
} from "../src/index.ts";

/** A job's finish, generous because every workspace's tests share the machine in CI (the worker's first pickup can take seconds). */
const FINISH_MS = 25_000;

const REDIS_URL = testRedisUrl();
const prefix = `sc_test_${randomBytes(4).toString("hex")}`;

let connection: Redis;
const queues: JobQueue[] = [];
const workers: JobWorker[] = [];
const eventSources: QueueEvents[] = [];

function setup(queueName: string, handlers: JobHandlers, timeoutMs?: Partial<Record<keyof JobHandlers, number>>) {
  const queue = createQueue(connection, { prefix, queueName });
  const events = createQueueEvents(connection, { prefix, queueName });
  const worker = createJobWorker(connection, { prefix, queueName, concurrency: 2, timeoutMs }, handlers);
  queues.push(queue);
  eventSources.push(events);
  workers.push(worker);
  return { queue, events, worker };
}

const idle = Object.fromEntries(JOB_NAMES.map((name) => [name, () => Promise.resolve(null)])) as unknown as JobHandlers;

beforeAll(() => {
  connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
});

afterAll(async () => {
  for (const w of workers) await w.close();
  for (const e of eventSources) await e.close();
  for (const q of queues) {
    await q.obliterate({ force: true });
    await q.close();
  }
  const keys = [...(await connection.keys(`${prefix}:*`)), ...(await connection.keys(`{${prefix}}:*`))];
  if (keys.length > 0) await connection.del(...keys);
  connection.disconnect();
});

describe("job catalog", () => {
  it("describes every job with sane retry and timeout settings", () => {
    expect([...JOB_NAMES].sort()).toEqual([
      "analyzer.run",
      "cache.correlate",
      "consumer.checkpoint",
      "host.health",
      "host.provision",
      "host.resources",
      "housekeeping",
      "migration.run",
      "migration.scheduler",
      "model.train",
      "orchestrator.run",
      "overflow.drain",
      "placement.run",
      "prealloc.run",
      "prealloc.train",
      "rebalance.plan",
      "replica.sync",
      "retention.enforce",
      "shardlet.accounting",
      "shardlet.manager",
      "shardlet.merge",
      "shardlet.split",
      "telemetry.rollup",
    ]);
    for (const name of JOB_NAMES) {
      const def = jobCatalog[name];
      expect(def.attempts).toBeGreaterThanOrEqual(1);
      expect(def.timeoutMs).toBeGreaterThan(0);
      expect(def.description.length).toBeGreaterThan(10);
    }
  });

  it("forces a handler for every job name at compile time", () => {
    // @ts-expect-error a missing handler does not compile
    const partial: JobHandlers = { "host.health": () => Promise.resolve(null) };
    expect(Object.keys(partial)).toHaveLength(1);
  });

  it("rejects a bad payload and an unknown job before anything is queued", async () => {
    const queue = createQueue(connection, { prefix, queueName: "reject" });
    queues.push(queue);
    // @ts-expect-error the payload type also rejects it at compile time
    const bad = await enqueue(queue, "host.health", { hostId: 42 }).catch((e: unknown) => e);
    expect(isShardcastError(bad) && bad.code).toBe("validation_failed");
    expect(isShardcastError(bad) && bad.message).toMatch(/host\.health/);
    // @ts-expect-error unknown job names do not compile either
    const unknown = await enqueue(queue, "no.such.job", {}).catch((e: unknown) => e);
    expect(isShardcastError(unknown) && unknown.code).toBe("bad_request");
    expect(await queue.count()).toBe(0);
  });
});

describe("queue and worker", () => {
  it("runs an enqueued job through its handler with the catalog's retry settings", async () => {
    const seen: Array<{ payload: unknown; ctx: JobContext }> = [];
    const { queue, events } = setup("roundtrip", {
      ...idle,
      "shardlet.accounting": (payload, ctx) => {
        seen.push({ payload, ctx });
        return Promise.resolve({ shardlets: 3 });
      },
    });
    await events.waitUntilReady();
    const job = await enqueue(queue, "shardlet.accounting", {});
    expect(job.opts.attempts).toBe(jobCatalog["shardlet.accounting"].attempts);
    expect(await job.waitUntilFinished(events, FINISH_MS)).toEqual({ shardlets: 3 });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.ctx.name).toBe("shardlet.accounting");
    expect(seen[0]?.ctx.attempt).toBe(1);
    expect(seen[0]?.payload).toEqual({});
  });

  it("fails a job whose stored payload does not match the catalog, without retrying", async () => {
    let ran = false;
    const { queue, events } = setup("badstored", {
      ...idle,
      "host.health": () => {
        ran = true;
        return Promise.resolve(null);
      },
    });
    await events.waitUntilReady();
    // Bypasses enqueue, as an older release or a hand-written job might.
    const job = await queue.add("host.health", { stray: true } as unknown as Record<string, never>, { attempts: 3 });
    await expect(job.waitUntilFinished(events, FINISH_MS)).rejects.toThrow(/invalid payload/);
    expect(ran).toBe(false);
    const failed = await queue.getJob(job.id!);
    expect(failed?.attemptsMade).toBe(1);
  });

  it("reports a job that finished before its events listener started reading", async () => {
    const { queue, worker } = setup("late", idle);
    const done = new Promise<string>((resolve) => worker.once("completed", (j) => resolve(j.id!)));
    const job = await enqueue(queue, "shardlet.accounting", {});
    expect(await done).toBe(job.id);
    // A listener created now must still see the completion: a waiter whose listener was not yet
    // reading when the job ended would otherwise wait until its timeout.
    const late = createQueueEvents(connection, { prefix, queueName: "late" });
    eventSources.push(late);
    const seen = await new Promise<unknown>((resolve) => late.once(`completed:${job.id}` as "completed", (args) => resolve(args)));
    expect(seen).toMatchObject({ jobId: job.id });
  });

  it("aborts the handler's signal and fails the job when it runs past its timeout", async () => {
    let abortedWith: unknown;
    const { queue, events } = setup(
      "timeout",
      {
        ...idle,
        "host.health": (_p, ctx) =>
          new Promise((resolve) => {
            ctx.signal.addEventListener("abort", () => {
              abortedWith = ctx.signal.reason;
              resolve(null);
            });
          }),
      },
      { "host.health": 200 },
    );
    await events.waitUntilReady();
    const job = await enqueue(queue, "host.health", {});
    await expect(job.waitUntilFinished(events, FINISH_MS)).rejects.toThrow(/timed out after 200 ms/);
    expect(isShardcastError(abortedWith) && abortedWith.code).toBe("unavailable");
  });

  it("schedules a repeating job once, however often the schedule is declared", async () => {
    let runs = 0;
    const { queue, worker } = setup("repeat", {
      ...idle,
      "shardlet.accounting": () => {
        runs++;
        return Promise.resolve(null);
      },
    });
    await scheduleRepeating(queue, "shardlet.accounting", 150);
    await scheduleRepeating(queue, "shardlet.accounting", 150);
    expect(await queue.getJobSchedulersCount()).toBe(1);
    const done = new Promise<void>((resolve) => {
      worker.on("completed", () => {
        if (runs >= 3) resolve();
      });
    });
    await done;
    expect(await unscheduleRepeating(queue, "shardlet.accounting")).toBe(true);
    expect(await queue.getJobSchedulersCount()).toBe(0);
  });

  it("rejects a non-positive repeat interval", async () => {
    const queue = createQueue(connection, { prefix, queueName: "badrepeat" });
    queues.push(queue);
    const err = await scheduleRepeating(queue, "host.health", 0).catch((e: unknown) => e);
    expect(isShardcastError(err) && err.code).toBe("bad_request");
  });
});
