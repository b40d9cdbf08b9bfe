import { randomBytes } from "node:crypto";
import { countMigrationsByPhase, HostPool, pingControlDb, type ControlDb } from "@shardcast/db";
import { createTestControlDb, waitFor } from "@shardcast/db/testing";
import { enqueue } from "@shardcast/jobs";
import { createLogger } from "@shardcast/runtime/logger";
import { startOpsServer, type OpsServer } from "@shardcast/runtime/metrics";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { queueMetricsText, WorkerMetrics } from "../src/telemetry/metrics.ts";
import { startWorker, type RunningWorker } from "../src/worker.ts";

const REDIS_URL = testRedisUrl();
const prefix = `sc_test_${randomBytes(4).toString("hex")}`;

let control: Awaited<ReturnType<typeof createTestControlDb>>;
let db: ControlDb;
let hosts: HostPool;
let connection: Redis;
let running: RunningWorker;
let health: OpsServer;
let stopping = false;
let url: string;

beforeAll(async () => {
  control = await createTestControlDb();
  db = control.db;
  hosts = new HostPool(db, { onError: () => undefined });
  connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  running = await startWorker(
    { db, hosts, log: createLogger({ test: "health-port" }, { level: "error" }), clock: Date.now, pingTimeoutMs: 2_000 },
    { connection, prefix, concurrency: 1, schedule: false, accountingEveryMs: 5_000, healthEveryMs: 10_000, hintDebounceMs: 0 },
  );
  // What the worker's main module wires: the same metrics, probes and BullMQ gauges.
  const metrics = new WorkerMetrics({ migrationsByPhase: () => countMigrationsByPhase(db) });
  metrics.watch(running.worker);
  health = await startOpsServer(0, "127.0.0.1", {
    registry: metrics.registry,
    ready: async () => {
      await Promise.all([pingControlDb(db), connection.ping()]);
    },
    draining: () => stopping,
    extraMetrics: () => queueMetricsText(running.queue),
  });
  url = `http://127.0.0.1:${health.port}`;
});

afterAll(async () => {
  await health?.close();
  await running?.queue.obliterate({ force: true });
  await running?.close();
  await hosts?.closeAll();
  await control?.drop();
  if (connection) {
    const keys = [...(await connection.keys(`${prefix}:*`)), ...(await connection.keys(`{${prefix}}:*`))];
    if (keys.length > 0) await connection.del(...keys);
    connection.disconnect();
  }
});

function sample(text: string, line: RegExp): number {
  const m = text.split("\n").find((l) => line.test(l));
  return m ? Number(m.split(" ").at(-1)) : 0;
}

async function scrape(): Promise<string> {
  const res = await fetch(`${url}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
  return res.text();
}

describe("the worker's health port", () => {
  it("answers /livez and /readyz", async () => {
    expect((await fetch(`${url}/livez`)).status).toBe(200);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it("counts a completed job by name, with its duration, and shows BullMQ's queue gauges", async () => {
    const completed = /^shardcast_worker_jobs_total\{job="host\.health",outcome="completed"\} /;
    const job = await enqueue(running.queue, "host.health", {});
    await waitFor("the job to complete", async () => (await job.getState()) === "completed");
    await waitFor("the completion to be counted", async () => sample(await scrape(), completed) === 1);
    const text = await scrape();
    expect(sample(text, /^shardcast_worker_job_duration_seconds_count\{job="host\.health",outcome="completed"\} /)).toBe(1);
    expect(text).toMatch(/^bullmq_job_count\{queue="[^"]+", state="completed"\} 1$/m);
    expect(text).not.toContain("bullmq_job_completed_total");
    // No migrations in this control database: the family is there, without series.
    expect(text).toContain("# TYPE shardcast_migrations gauge");
    expect(text).not.toMatch(/^shardcast_migrations\{/m);
    expect(text).toContain("process_cpu_user_seconds_total");
  });

  it("reports migrations by phase from their source, re-read after the cache period", async () => {
    let now = 0;
    let counts = new Map([["copying", 2], ["done", 5]]);
    let reads = 0;
    const metrics = new WorkerMetrics({ migrationsByPhase: () => (reads++, Promise.resolve(counts)), clock: () => now });
    const text = () => metrics.registry.getSingleMetricAsString("shardcast_migrations");
    expect(await text()).toMatch(/^shardcast_migrations\{phase="copying"\} 2$/m);
    expect(await text()).toMatch(/^shardcast_migrations\{phase="done"\} 5$/m);
    counts = new Map([["done", 7]]);
    now = 1_000;
    expect(await text()).toMatch(/^shardcast_migrations\{phase="copying"\} 2$/m);
    now = 6_000;
    const fresh = await text();
    expect(fresh).toMatch(/^shardcast_migrations\{phase="done"\} 7$/m);
    expect(fresh).not.toContain('phase="copying"');
    expect(reads).toBe(2);
  });

  it("fails readiness while stopping", async () => {
    stopping = true;
    const res = await fetch(`${url}/readyz`);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ ok: false, reason: "draining" });
    stopping = false;
  });
});
