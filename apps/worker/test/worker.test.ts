import { randomBytes } from "node:crypto";
import net from "node:net";
import { isShardcastError, type ShardletRoute } from "@shardcast/core";
import {
  createStream,
  HostPool,
  loadRoutes,
  registerHost,
  type ControlDb,
  type HostInfo,
} from "@shardcast/db";
import { createTestControlDb, createTestHostDb, waitFor } from "@shardcast/db/testing";
import { createQueueEvents, enqueue, type JobName } from "@shardcast/jobs";
import { createLogger } from "@shardcast/runtime/logger";
import { lifecycleChannel } from "@shardcast/runtime/redis";
import { testPgAdminUrl, testRedisUrl } from "@shardcast/runtime/testing/env";
import type { QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerDeps } from "../src/deps.ts";
import { startWorker, type RunningWorker } from "../src/worker.ts";

const REDIS_URL = testRedisUrl();
const prefix = `sc_test_${randomBytes(4).toString("hex")}`;

let control: Awaited<ReturnType<typeof createTestControlDb>>;
let db: ControlDb;
const hostDbs: Array<Awaited<ReturnType<typeof createTestHostDb>>> = [];
let hosts: HostPool;
let connection: Redis;
let running: RunningWorker;
let queueEvents: QueueEvents;
/** The processors' clock: moved by hand so rate windows are exact. */
let now = Date.now() + 60_000;

async function runJob(name: JobName): Promise<unknown> {
  const job = await enqueue(running.queue, name, {});
  return job.waitUntilFinished(queueEvents, 20_000);
}

beforeAll(async () => {
  control = await createTestControlDb();
  db = control.db;
  hostDbs.push(await createTestHostDb(), await createTestHostDb());
  hosts = new HostPool(db, { onError: () => undefined });
  connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const deps: WorkerDeps = {
    db,
    hosts,
    log: createLogger({ test: "worker" }, { level: "error" }),
    clock: () => now,
    pingTimeoutMs: 2_000,
  };
  running = await startWorker(deps, {
    connection,
    prefix,
    concurrency: 2,
    schedule: false,
    accountingEveryMs: 5_000,
    healthEveryMs: 10_000,
  });
  queueEvents = createQueueEvents(connection, { prefix });
  await queueEvents.waitUntilReady();
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

describe("job catalog through the worker's queue", () => {
  it("rejects a bad payload before it reaches Redis", async () => {
    // @ts-expect-error host.health takes no fields
    const err = await enqueue(running.queue, "host.health", { hostId: "h1" }).catch((e: unknown) => e);
    expect(isShardcastError(err) && err.code).toBe("validation_failed");
    expect(await running.queue.count()).toBe(0);
  });
});

describe("shardlet.accounting", () => {
  let routes: ShardletRoute[];
  let streamId: string;
  let seq = 0;
  /** What the test wrote, per shardlet. */
  const written = new Map<string, { events: number; bytes: number }>();

  async function write(route: ShardletRoute, count: number, eventBytes: number): Promise<void> {
    const driver = await hosts.get(route.hostId);
    const events = Array.from({ length: count }, (_, i) => ({
      key: `k-${route.id}-${seq + i}`,
      id: null,
      type: "test",
      ts: Date.now(),
      payloadJson: JSON.stringify({ i }),
      sizeBytes: eventBytes,
      seq: seq + i + 1,
      keyHash: route.lo,
    }));
    seq += count;
    const res = await driver.fencedWrite({ streamId: route.streamId, shardletId: route.id, epoch: route.epoch, events });
    expect(res.ok).toBe(true);
    const w = written.get(route.id) ?? { events: 0, bytes: 0 };
    written.set(route.id, { events: w.events + count, bytes: w.bytes + count * eventBytes });
  }

  beforeAll(async () => {
    for (const [i, h] of hostDbs.entries()) await registerHost(db, { name: `acct-${i}`, dsn: h.dsn });
    const stream = await createStream(db, hosts, { name: `acct-${randomBytes(3).toString("hex")}`, shardCount: 2, shardletsPerShard: 2 });
    streamId = stream.id;
    routes = await loadRoutes(db, streamId);
    expect(routes).toHaveLength(4);
    expect(new Set(routes.map((r) => r.hostId)).size).toBe(2);
  });

  it("folds host totals into shardlet sizes, counts and write rates", async () => {
    // A stale epoch is rejected by the host and must not be counted.
    const stale = await (await hosts.get(routes[0]!.hostId)).fencedWrite({
      streamId,
      shardletId: routes[0]!.id,
      epoch: routes[0]!.epoch + 1,
      events: [{ key: "x", id: null, type: null, ts: Date.now(), payloadJson: "{}", sizeBytes: 999, seq: 1_000_000, keyHash: routes[0]!.lo }],
    });
    expect(stale.ok).toBe(false);

    await write(routes[0]!, 30, 100);
    await write(routes[1]!, 12, 50);
    await write(routes[2]!, 5, 200);
    const before = await db.shardlet.findMany({ where: { streamId }, select: { id: true, updatedAt: true } });
    const windowSec = new Map(before.map((r) => [r.id, (now - r.updatedAt.getTime()) / 1_000]));

    expect(await runJob("shardlet.accounting")).toEqual({ hosts: 2, failedHosts: 0, shardlets: 4 });

    const after = await db.shardlet.findMany({ where: { streamId } });
    for (const s of after) {
      const w = written.get(s.id) ?? { events: 0, bytes: 0 };
      expect(Number(s.eventCount)).toBe(w.events);
      expect(Number(s.sizeBytes)).toBe(w.bytes);
      expect(s.writeRate).toBeCloseTo(w.events / windowSec.get(s.id)!, 6);
      expect(s.updatedAt.getTime()).toBe(now);
    }
    for (const host of await db.host.findMany()) {
      const onHost = routes.filter((r) => r.hostId === host.id).reduce((n, r) => n + (written.get(r.id)?.events ?? 0), 0);
      expect(Number(host.eventCount)).toBe(onHost);
    }
  });

  it("measures the next window from the previous accounting and records ingest metrics", async () => {
    now += 10_000;
    await write(routes[3]!, 40, 25);
    await write(routes[0]!, 10, 100);
    expect(await runJob("shardlet.accounting")).toEqual({ hosts: 2, failedHosts: 0, shardlets: 4 });

    const rate = new Map((await db.shardlet.findMany({ where: { streamId } })).map((s) => [s.id, s.writeRate]));
    expect(rate.get(routes[3]!.id)).toBeCloseTo(4, 9);
    expect(rate.get(routes[0]!.id)).toBeCloseTo(1, 9);
    expect(rate.get(routes[1]!.id)).toBe(0);
    expect(rate.get(routes[2]!.id)).toBe(0);

    const samples = await db.metricSample.findMany({ where: { at: new Date(now) } });
    const value = (name: string, sid: string | null) => samples.find((m) => m.name === name && m.streamId === sid)?.value;
    expect(value("ingest.events_per_s", streamId)).toBeCloseTo(5, 9);
    expect(value("ingest.bytes_per_s", streamId)).toBeCloseTo((40 * 25 + 10 * 100) / 10, 9);
    expect(value("ingest.events_per_s", null)).toBeCloseTo(5, 9);
    expect(value("ingest.bytes_per_s", null)).toBeCloseTo(200, 9);
  });
});

/** A TCP relay to PostgreSQL that can be cut and restored, standing in for a host that goes away. */
class Relay {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, this.targetHost);
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe("host.health", () => {
  const password = `pw${randomBytes(6).toString("hex")}`;
  let relay: Relay;
  let host: HostInfo;

  async function hostRow() {
    return db.host.findUniqueOrThrow({ where: { id: host.id } });
  }
  async function transitions() {
    const ops = await db.operation.findMany({ where: { hostId: host.id }, orderBy: { startedAt: "asc" } });
    return ops.map((o) => o.kind);
  }

  beforeAll(async () => {
    const target = new URL(testPgAdminUrl());
    relay = new Relay(target.hostname, Number(target.port || 5432));
    await relay.start();
    const extra = await createTestHostDb();
    hostDbs.push(extra);
    // The server trusts local connections, so the password only has to stay out of every output.
    const dsn = new URL(extra.dsn);
    dsn.host = `127.0.0.1:${relay.port}`;
    dsn.password = password;
    host = await registerHost(db, { name: "relayed", dsn: dsn.toString() });
  });

  afterAll(async () => {
    await relay?.stop();
  });

  it("records size and last contact of a reachable host", async () => {
    now += 1_000;
    await runJob("host.health");
    const row = await hostRow();
    expect(row.status).toBe("active");
    expect(row.lastError).toBeNull();
    expect(row.lastSeenAt?.getTime()).toBe(now);
    expect(Number(row.sizeBytes)).toBeGreaterThan(0);
    expect(await transitions()).toEqual([]);
  });

  it("marks an unreachable host down with a redacted error, logging the change once", async () => {
    const seenAt = (await hostRow()).lastSeenAt;
    await relay.stop();
    now += 1_000;
    expect(await runJob("host.health")).toMatchObject({ down: 1 });
    let row = await hostRow();
    expect(row.status).toBe("down");
    expect(row.lastError).toBeTruthy();
    expect(row.lastError).not.toContain(password);
    expect(row.lastSeenAt).toEqual(seenAt);
    expect(await transitions()).toEqual(["host.down"]);
    const op = await db.operation.findFirstOrThrow({ where: { hostId: host.id, kind: "host.down" } });
    expect(op.message).not.toContain(password);

    // Still down: no second entry in the operations log.
    now += 1_000;
    await runJob("host.health");
    row = await hostRow();
    expect(row.status).toBe("down");
    expect(await transitions()).toEqual(["host.down"]);
    // The other hosts were not affected.
    expect(await db.host.count({ where: { status: "down" } })).toBe(1);
  });

  it("brings the host back up when it answers again", async () => {
    await relay.start();
    now += 1_000;
    expect(await runJob("host.health")).toMatchObject({ down: 0 });
    const row = await hostRow();
    expect(row.status).toBe("active");
    expect(row.lastError).toBeNull();
    expect(row.lastSeenAt?.getTime()).toBe(now);
    expect(await transitions()).toEqual(["host.down", "host.up"]);
  });
});

describe("housekeeping", () => {
  it("deletes metric samples past retention and expired sessions, keeping the rest", async () => {
    const day = 24 * 3_600_000;
    const user = await db.user.create({ data: { email: `hk-${prefix}@example.com`, name: "hk", passwordHash: "x" } });
    await db.session.createMany({
      data: [
        { id: `expired-${prefix}`, userId: user.id, expiresAt: new Date(now - 1_000) },
        { id: `live-${prefix}`, userId: user.id, expiresAt: new Date(now + day) },
      ],
    });
    await db.metricSample.createMany({
      data: [
        { name: "hk.test", at: new Date(now - day - 60_000), value: 1 },
        { name: "hk.test", at: new Date(now - 60_000), value: 2 },
      ],
    });
    expect(await runJob("housekeeping")).toEqual({ metrics: 1, sessions: 1, hostResources: 0, hints: 0, consumerLog: 0 });
    expect((await db.metricSample.findMany({ where: { name: "hk.test" } })).map((m) => m.value)).toEqual([2]);
    expect((await db.session.findMany({ where: { userId: user.id } })).map((s) => s.id)).toEqual([`live-${prefix}`]);
  });
});

describe("lifecycle hints", () => {
  it("runs the shardlet manager when an edge reports a shardlet past a threshold", async () => {
    const managerRuns = async () => (await running.queue.getJobs(["completed", "failed"])).filter((j) => j.name === "shardlet.manager").length;
    const before = await managerRuns();
    await connection.publish(lifecycleChannel(prefix), JSON.stringify({ shardletId: "s-hint" }));
    await waitFor("a manager run on the hint", async () => (await managerRuns()) > before, 15_000);
  });
});
