import { randomBytes } from "node:crypto";
import { isShardcastError, type ShardletRoute } from "@shardcast/core";
import { createStream, loadRoutes, type ControlDb, type HostPool } from "@shardcast/db";
import { waitFor } from "@shardcast/db/testing";
import { enqueue } from "@shardcast/jobs";
import { lifecycleChannel } from "@shardcast/runtime/redis";
import type { Redis } from "ioredis";
import { beforeAll, describe, expect, it } from "vitest";
import type { RunningWorker } from "../src/worker.ts";
import { useWorkerHarness, type WorkerHarness } from "./worker-harness.ts";

/**
 * Jobs through the worker's queue: the catalog's payload check, shardlet accounting, housekeeping,
 * and the lifecycle hints the worker listens for.
 */

let db: ControlDb;
let hosts: HostPool;
let connection: Redis;
let running: RunningWorker;
let prefix: string;
let runJob: WorkerHarness["runJob"];
/** The processors' clock: moved by hand so rate windows are exact. */
let now = Date.now() + 60_000;

useWorkerHarness(() => now, (w) => ({ db, hosts, connection, running, prefix, runJob } = w));

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
    expect(await runJob("housekeeping")).toEqual({ metrics: 1, sessions: 1, hostResources: 0, hints: 0, consumerLog: 0, history: 0 });
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
