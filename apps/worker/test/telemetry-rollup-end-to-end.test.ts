import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import readline from "node:readline";
import { fileURLToPath } from "node:url";
import { createRng, DEFAULT_INGEST_LIMITS, keyHash, RoutingTable, telemetryRedisKeys, validateBatch, ZipfSampler } from "@shardcast/core";
import { clientActivity, hotKeys, listHostResourceSamples, loadRoutes, shardletSeries, streamSeries, telemetryTotals, type ControlDb } from "@shardcast/db";
import type { TestCluster } from "@shardcast/db/testing";
import { createQueueEvents, enqueue, type JobName } from "@shardcast/jobs";
import type { QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerDeps } from "../src/deps.ts";
import { startWorker, type RunningWorker } from "../src/worker.ts";
import { REDIS_URL, useTelemetryCluster } from "./telemetry-rollup-harness.ts";

/**
 * The telemetry pipeline end to end: an edge process counts what it serves and flushes on shutdown,
 * the worker's rollup stores it in PostgreSQL, and the read models answer from there.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");

let cluster: TestCluster;
let db: ControlDb;
let edge: ChildProcess;
let edgeUrl: string;
let redis: Redis;
let prefix: string;
let connection: Redis;
let running: RunningWorker;
let queueEvents: QueueEvents;
let deps: WorkerDeps;
const t0 = Date.now();

/** Starts the edge as its own process (as in production) and resolves with its URL. */
async function spawnEdge(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "apps/edge/src/main.ts"], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the edge did not become ready")), 60_000);
    child.once("exit", (code) => reject(new Error(`the edge exited with code ${code}`)));
    readline.createInterface({ input: child.stderr }).on("line", (line) => {
      if (!line.includes("edge ready")) return;
      clearTimeout(timer);
      resolve((JSON.parse(line) as { url: string }).url);
    });
  });
  return { child, url };
}

async function runJob(name: JobName): Promise<unknown> {
  const job = await enqueue(running.queue, name, {});
  return job.waitUntilFinished(queueEvents, 30_000);
}

useTelemetryCluster((t) => ({ cluster, db, redis, prefix, deps } = t));

beforeAll(async () => {
  ({ child: edge, url: edgeUrl } = await spawnEdge({
    DATABASE_URL: cluster.controlUrl,
    REDIS_URL,
    SHARDCAST_REDIS_PREFIX: prefix,
    SHARDCAST_EDGE_PORT: "0",
    // Long: the counters reach Redis through the flush on shutdown, which this test checks too.
    SHARDCAST_TELEMETRY_FLUSH_MS: "600000",
    SHARDCAST_LOG_LEVEL: "info",
  }));
  connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  running = await startWorker(deps, { connection, prefix, concurrency: 2, schedule: false, accountingEveryMs: 5_000, healthEveryMs: 10_000, hintDebounceMs: 0 });
  queueEvents = createQueueEvents(connection, { prefix });
  await queueEvents.waitUntilReady();
});

// Runs before the cluster's own afterAll (hooks run in reverse), so the worker stops before the databases go.
afterAll(async () => {
  if (edge && edge.exitCode === null && edge.signalCode === null) edge.kill("SIGKILL");
  await running?.worker.close();
  await running?.queue.obliterate({ force: true });
  await running?.close();
  await queueEvents?.close();
  connection?.disconnect();
});

type Ack = { accepted: number; duplicates: number; events: Array<{ seq: number; shardletId: string; duplicate: boolean }> };
type Stored = { seq: number; key: string; id: string | null; type: string | null; payload: unknown };

async function call(pathname: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const res = await fetch(edgeUrl + pathname, {
    method: init.method ?? "GET",
    headers: { authorization: `Bearer ${cluster.token}`, "content-type": "application/json", ...init.headers },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as unknown;
}

const utf8 = (s: string) => Buffer.byteLength(s);
/** The stored size of an event as the edge measures it: payload JSON, key, type and id. */
const sizeOf = (e: Stored) => utf8(JSON.stringify(e.payload)) + utf8(e.key) + (e.type ? utf8(e.type) : 0) + (e.id ? utf8(e.id) : 0);

function add(map: Map<string, number>, k: string, v: number) {
  map.set(k, (map.get(k) ?? 0) + v);
}

describe("telemetry end to end: edge counters -> Redis -> rollup -> PostgreSQL", () => {
  const written = new Map<string, { events: number; bytes: number }>();
  const read = new Map<string, { events: number; bytes: number; minSeq: number }>();
  const perKey = new Map<string, number>();
  const perClient = new Map<string, number>();
  let totalWritten = 0;
  let totalRead = 0;

  beforeAll(async () => {
    const rng = createRng("telemetry-e2e");
    const zipf = new ZipfSampler(400, 1.2, rng);
    const batches = Array.from({ length: 6 }, (_, b) =>
      Array.from({ length: 500 }, (_, i) => {
        const n = b * 500 + i;
        return { id: `e-${n}`, key: `user-${zipf.sample()}`, type: n % 3 ? "click" : "order", payload: { n, pad: "x".repeat(n % 40), note: "ünï" } };
      }),
    );
    for (const events of batches) {
      const ack = (await call(`/v1/streams/tele/events`, { method: "POST", body: { events } })) as Ack;
      expect(ack.accepted).toBe(500);
      const sizes = validateBatch({ events }, { limits: DEFAULT_INGEST_LIMITS, keyField: "key", now: Date.now() });
      ack.events.forEach((e, i) => {
        const w = written.get(e.shardletId) ?? { events: 0, bytes: 0 };
        w.events++;
        w.bytes += sizes[i]!.sizeBytes;
        written.set(e.shardletId, w);
        add(perKey, events[i]!.key, 1);
        totalWritten++;
      });
    }
    // A resent batch is stored once: its duplicates add nothing.
    const again = (await call(`/v1/streams/tele/events`, { method: "POST", body: { events: batches[0] } })) as Ack;
    expect(again.duplicates).toBe(500);

    const table = RoutingTable.build(cluster.streamId, await loadRoutes(db, cluster.streamId));
    const countRead = (events: Stored[], client: string) => {
      for (const e of events) {
        const id = table.lookup(keyHash(e.key)).id;
        const r = read.get(id) ?? { events: 0, bytes: 0, minSeq: Infinity };
        r.events++;
        r.bytes += sizeOf(e);
        r.minSeq = Math.min(r.minSeq, e.seq);
        read.set(id, r);
        add(perKey, e.key, 1);
        add(perClient, client, 1);
        totalRead++;
      }
    };
    // Reads by key from two named clients, and pages in global order without headers.
    for (let k = 0; k < 30; k++) {
      const named = k % 3 === 0 ? { client: "svc-b", group: "batch" } : { client: "svc-a", group: "analytics" };
      const body = (await call(`/v1/streams/tele/keys/user-${k}/events?limit=50`, {
        headers: { "x-shardcast-client": named.client, "x-shardcast-client-group": named.group },
      })) as { events: Stored[] };
      countRead(body.events, `${named.client}/${named.group}`);
    }
    let after = 0;
    for (let p = 0; p < 4; p++) {
      const page = (await call(`/v1/streams/tele/events?after=${after}&limit=400`)) as { events: Stored[]; next: number };
      countRead(page.events, "producer/default");
      after = page.next;
    }
    expect(totalRead).toBeGreaterThan(1600);

    // Graceful shutdown flushes what the edge counted.
    const exited = new Promise<number | null>((resolve) => edge.once("exit", (code) => resolve(code)));
    edge.kill("SIGTERM");
    expect(await exited).toBe(0);
  });

  const window = () => ({ streamId: cluster.streamId, from: t0 - 60_000, to: Date.now() + 60_000 });

  it("rolls up exactly what was written and read, per shardlet and in total", async () => {
    const result = (await runJob("telemetry.rollup")) as { batches: number; applied: number };
    expect(result.applied).toBeGreaterThanOrEqual(1);
    expect(result.applied).toBe(result.batches);

    const totals = await telemetryTotals(db, window());
    expect(totals.writes).toBe(totalWritten);
    expect(totals.writes).toBe(3000);
    expect(totals.reads).toBe(totalRead);
    expect(totals.bytesWritten).toBe([...written.values()].reduce((s, w) => s + w.bytes, 0));
    expect(totals.bytesRead).toBe([...read.values()].reduce((s, r) => s + r.bytes, 0));
    expect(totals.latencyCount).toBe(3000);
    expect(totals.latencyMaxMs).toBeGreaterThan(0);
    const got = new Map(totals.byShardlet.map((s) => [s.shardletId, s]));
    for (const [id, w] of written) expect([id, got.get(id)?.writes, got.get(id)?.bytesWritten]).toEqual([id, w.events, w.bytes]);
    for (const [id, r] of read) expect([id, got.get(id)?.reads, got.get(id)?.bytesRead, got.get(id)?.minSeqRead]).toEqual([id, r.events, r.bytes, r.minSeq]);
    const everyShardlet = new Set([...written.keys(), ...read.keys()]);
    expect(new Set(got.keys())).toEqual(everyShardlet);

    // Every coarser resolution holds the same totals.
    for (const resolution of [60, 3600]) {
      const coarse = await telemetryTotals(db, { ...window(), from: t0 - 3_600_000, to: Date.now() + 3_600_000, resolution });
      expect([resolution, coarse.writes, coarse.reads, coarse.bytesWritten, coarse.bytesRead]).toEqual([resolution, totals.writes, totals.reads, totals.bytesWritten, totals.bytesRead]);
    }
    // Nothing is left in Redis.
    expect(await redis.keys(`${telemetryRedisKeys(prefix).root}*`)).toEqual([]);
  });

  it("a second rollup adds nothing", async () => {
    const before = await telemetryTotals(db, window());
    const result = (await runJob("telemetry.rollup")) as { batches: number; applied: number };
    expect(result).toMatchObject({ batches: 0, applied: 0 });
    expect(await telemetryTotals(db, window())).toEqual(before);
  });

  it("finds the truly hottest keys", async () => {
    const hot = await hotKeys(db, { ...window(), resolution: 10, limit: 10 });
    const truth = [...perKey].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([k]) => k);
    const found = hot.map((h) => h.key);
    for (const k of truth) expect(found).toContain(k);
    const top = hot[0]!;
    expect(top.keyHash).toBe(keyHash(top.key));
    // The edges send what Space-Saving vouches for: the true count lies in [counts, counts + error].
    const exact = perKey.get(top.key)!;
    expect(top.writes + top.reads).toBeLessThanOrEqual(exact);
    expect(top.writes + top.reads + top.error).toBeGreaterThanOrEqual(exact);
  });

  it("counts reads per client and group, defaulting to the API key's name", async () => {
    const rows = await clientActivity(db, { ...window(), resolution: 10, limit: 10 });
    expect(new Map(rows.map((r) => [`${r.client}/${r.clientGroup}`, r.reads]))).toEqual(perClient);
  });

  it("serves per-shardlet and per-stream series", async () => {
    const series = await shardletSeries(db, { ...window(), resolution: 60 });
    expect(series.reduce((s, p) => s + p.writes, 0)).toBe(3000);
    const stream = await streamSeries(db, { ...window(), resolution: 60 });
    expect(stream.reduce((s, p) => s + p.reads, 0)).toBe(totalRead);
    await expect(shardletSeries(db, { ...window(), resolution: 15 })).rejects.toThrow(/resolution must be one of/);
  });

  it("samples every host's PostgreSQL statistics", async () => {
    expect(await runJob("host.resources")).toEqual({ sampled: 2, failed: 0 });
    const samples = await listHostResourceSamples(db, { fromMs: t0 - 60_000, toMs: Date.now() + 60_000 });
    expect(new Set(samples.map((s) => s.hostId))).toEqual(new Set(cluster.hostIds));
    for (const s of samples) {
      expect(s.dbSizeBytes).toBeGreaterThan(1_000_000);
      expect(s.commits).toBeGreaterThan(0);
      expect(s.blocksHit).toBeGreaterThan(0);
      expect(s.connections).toBeGreaterThanOrEqual(1);
    }
    // Both hosts took some of the 3,000 events.
    expect(samples.every((s) => s.rowsWritten >= 1)).toBe(true);
  });
});
