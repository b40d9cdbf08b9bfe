import { randomBytes } from "node:crypto";
import { createMigrationProposal, listPlannerNotes, updateRebalanceSettings, type ControlDb } from "@shardcast/db";
import { createTestCluster, type TestCluster } from "@shardcast/db/testing";
import { createQueue, createQueueEvents, enqueue, type JobQueue } from "@shardcast/jobs";
import { createLogger } from "@shardcast/runtime/logger";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import type { QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { WorkerDeps } from "../src/deps.ts";
import { migrationRunJobId, runRebalancePlan } from "../src/rebalance/plan.ts";
import { startWorker } from "../src/worker.ts";

const REDIS_URL = testRedisUrl();
const MIB = 1024 * 1024;

let cluster: TestCluster;
let db: ControlDb;
let connection: Redis;
let queue: JobQueue;
let deps: WorkerDeps;
const prefix = `sc_test_rb_${randomBytes(4).toString("hex")}`;
/**
 * The planner's clock: the real time at the start of each test (rows the database stamps itself,
 * like createdAt, must agree with it), moved forward by hand within a test.
 */
let now = Date.now();
/** Shardlets in hash order; the layout puts shardlet i on host i % 3. */
let shardlets: Array<{ id: string; hostId: string; epoch: number }> = [];

async function setRates(rates: number[], size = MIB): Promise<void> {
  for (const [i, s] of shardlets.entries()) {
    await db.shardlet.update({ where: { id: s.id }, data: { writeRate: rates[i] ?? 0, sizeBytes: BigInt(size) } });
  }
}

async function migrations() {
  return db.migration.findMany({ orderBy: [{ createdAt: "asc" }, { id: "asc" }] });
}

async function queuedRuns(): Promise<string[]> {
  const jobs = await queue.getJobs(["waiting", "delayed", "prioritized"]);
  return jobs.filter((j) => j.name === "migration.run").map((j) => (j.data as { migrationId: string }).migrationId).sort();
}

beforeAll(async () => {
  cluster = await createTestCluster({ hosts: 3, stream: `rb-${randomBytes(3).toString("hex")}`, shardCount: 1, shardletsPerShard: 12 });
  db = cluster.db;
  connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  queue = createQueue(connection, { prefix });
  deps = { db, hosts: cluster.hosts, log: createLogger({ test: "rebalance" }, { level: "error" }), clock: () => now };
  const rows = await db.shardlet.findMany({ where: { streamId: cluster.streamId }, orderBy: { lo: "asc" } });
  shardlets = rows.map((r) => ({ id: r.id, hostId: r.hostId, epoch: r.epoch }));
  expect(shardlets.map((s) => s.hostId)).toEqual(Array.from({ length: 12 }, (_, i) => cluster.hostIds[i % 3]));
});

afterAll(async () => {
  await queue?.obliterate({ force: true }).catch(() => undefined);
  await queue?.close();
  connection?.disconnect();
  await cluster?.drop();
});

beforeEach(async () => {
  await db.migrationEvent.deleteMany({});
  await db.migration.deleteMany({});
  await db.host.updateMany({ data: { status: "active" } });
  await db.setting.deleteMany({ where: { key: "rebalance" } });
  await queue.obliterate({ force: true });
  now = Date.now();
});

describe("rebalance.plan against the control database", () => {
  it("proposes moves off the hot host with reasons, expected load and feasibility, and notes why it stopped", async () => {
    // Host 1 carries 4 x 150 = 600 events/s, host 2 4 x 25 = 100, host 3 4 x 10 = 40 (mean 247).
    await setRates(shardlets.map((_, i) => [150, 25, 10][i % 3]!));
    const r = await runRebalancePlan(deps, { queue });
    expect(r.created.map((c) => [c.origin, c.phase])).toEqual([
      ["rebalancer", "proposed"],
      ["rebalancer", "proposed"],
    ]);
    const [h1, h2, h3] = cluster.hostIds as [string, string, string];
    const rows = await migrations();
    expect(rows.map((m) => [m.shardletId, m.sourceHostId, m.destHostId, m.phase, m.origin])).toEqual([
      [shardlets[0]!.id, h1, h3, "proposed", "rebalancer"],
      [shardlets[3]!.id, h1, h2, "proposed", "rebalancer"],
    ]);
    const first = rows[0]!;
    expect(first.streamId).toBe(cluster.streamId);
    // The product's default moves load by hand-off: nothing to copy.
    expect(first.mode).toBe("handoff");
    expect(Number(first.bytesToMove)).toBe(0);
    expect(first.shardletEpoch).toBe(shardlets[0]!.epoch);
    expect(first.expectedBenefit).toBeCloseTo(150, 6);
    expect(first.expectedLoad).toEqual({ [h1]: { before: 600, after: 450 }, [h3]: { before: 40, after: 190 } });
    expect(first.reason).toMatch(
      new RegExp(`^test-host-1 carries 600 events/s, 143% above the mean of 247 events/s \\(trigger \\+20%\\): handing ${cluster.stream} 0x00000000–0x[0-9a-f]{8} \\(150 events/s\\) off to test-host-3 \\(its history stays, nothing is copied\\) `),
    );
    expect(first.feasibility).toMatchObject({ headroom: { ok: true }, bandwidth: { ok: true }, window: { ok: true, detail: "no migration window set: may run any time" } });
    const events = await db.migrationEvent.findMany({ where: { migrationId: first.id } });
    expect(events.map((e) => e.phase)).toEqual(["proposed"]);
    expect(events[0]!.message).toMatch(/^Proposed by rebalancer: test-host-1 carries 600 events\/s/);
    // Nothing is approved, so nothing is queued for the mover.
    expect(await queuedRuns()).toEqual([]);

    const notes = await listPlannerNotes(db, { source: "rebalancer" });
    expect(notes).toHaveLength(1);
    // Which of the equally loaded shardlets is named depends on the ids; the rest is fixed.
    expect(notes[0]!.message).toMatch(
      new RegExp(
        `^test-host-1 is still 22% above the mean of 247 events/s after 2 proposed moves, but no destination has headroom for any of its shardlets: ` +
          `the smallest movable one that still carries load, ${cluster.stream} 0x[0-9a-f]{8}–0x[0-9a-f]{8} \\(150 events/s\\), is more than any other host can take ` +
          `\\(81\\.3 events/s at most, keeping it under its share \\+10%\\)\\. Splitting it lets the pieces move\\.$`,
      ),
    );
    expect([shardlets[6]!.id, shardlets[9]!.id]).toContain(notes[0]!.shardletId);
    expect(notes[0]!.hostId).toBe(h1);
  });

  it("does not duplicate open proposals on the next runs and replaces its notes", async () => {
    await setRates(shardlets.map((_, i) => [150, 25, 10][i % 3]!));
    await runRebalancePlan(deps);
    now += 30_000;
    const again = await runRebalancePlan(deps);
    expect(again.created).toEqual([]);
    expect(await db.migration.count()).toBe(2);
    // The open proposals count as landed; what is left cannot move, and the note (replaced, not
    // appended) says so.
    const notes = await listPlannerNotes(db, { source: "rebalancer" });
    expect(notes).toHaveLength(1);
    expect(notes[0]!.message).toMatch(/^test-host-1 carries 300 events\/s, 22% above the mean of 247 events\/s, but no destination has headroom for any of its shardlets/);
  });

  it("stores one open migration per shardlet however many planners propose at once", async () => {
    const [h1, h2] = cluster.hostIds as [string, string];
    const s = shardlets[0]!;
    const base = {
      streamId: cluster.streamId,
      shardletId: s.id,
      sourceHostId: h1,
      destHostId: h2,
      reason: "test",
      expectedBenefit: 1,
      expectedLoad: {},
      feasibility: {},
      bytesToMove: 10,
      shardletEpoch: s.epoch,
    };
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => createMigrationProposal(db, { ...base, origin: i % 2 ? "analyzer" : "rebalancer", reason: `planner ${i}` })),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.id)).size).toBe(1);
    expect(await db.migration.count({ where: { shardletId: s.id } })).toBe(1);
    await expect(createMigrationProposal(db, { ...base, origin: "rebalancer", destHostId: h1 })).rejects.toMatchObject({ code: "validation_failed" });
    await expect(createMigrationProposal(db, { ...base, origin: "rebalancer", bytesToMove: -1, shardletId: shardlets[1]!.id })).rejects.toThrow(/bytesToMove/);
    expect(await db.migration.count()).toBe(1);
  });

  it("withdraws a proposal whose shardlet changed, and one nobody decided on in time", async () => {
    await setRates(shardlets.map((_, i) => [150, 25, 10][i % 3]!));
    await runRebalancePlan(deps);
    const [a, b] = await migrations();
    // A split or merge raises the epoch: the proposal no longer describes the shardlet.
    await db.shardlet.update({ where: { id: a!.shardletId }, data: { epoch: { increment: 1 } } });
    await setRates(shardlets.map(() => 0));
    now += 60_000;
    const r = await runRebalancePlan(deps);
    expect(r.withdrawn).toBe(1);
    const after = await db.migration.findUnique({ where: { id: a!.id } });
    expect(after?.phase).toBe("cancelled");
    expect(after?.decidedBy).toBe("rebalancer");
    const log = await db.migrationEvent.findMany({ where: { migrationId: a!.id }, orderBy: { id: "asc" } });
    expect(log.at(-1)!.message).toBe(
      `Withdrawn by the rebalancer: the shardlet changed since (epoch ${a!.shardletEpoch} -> ${a!.shardletEpoch + 1}). The next run proposes again if still needed.`,
    );
    expect((await db.migration.findUnique({ where: { id: b!.id } }))?.phase).toBe("proposed");
    // An hour later (the default time to live) the other one goes too.
    now += 3_600_000;
    expect((await runRebalancePlan(deps)).withdrawn).toBe(1);
    expect((await db.migration.findUnique({ where: { id: b!.id } }))?.phase).toBe("cancelled");
    await db.shardlet.update({ where: { id: a!.shardletId }, data: { epoch: a!.shardletEpoch } });
  });

  it("withdraws undecided proposals once the hot host has cooled down, saying how far", async () => {
    await setRates(shardlets.map((_, i) => [150, 25, 10][i % 3]!));
    await runRebalancePlan(deps);
    const open = await migrations();
    expect(open.length).toBeGreaterThan(0);
    // The burst is over: every host now writes 80 events/s.
    await setRates(shardlets.map(() => 20));
    now += 60_000;
    const r = await runRebalancePlan(deps);
    expect(r.withdrawn).toBe(open.length);
    expect(r.created).toEqual([]);
    for (const m of open) {
      expect((await db.migration.findUnique({ where: { id: m.id } }))?.phase).toBe("cancelled");
      const log = await db.migrationEvent.findMany({ where: { migrationId: m.id }, orderBy: { id: "asc" } });
      expect(log.at(-1)!.message).toMatch(/^Withdrawn by the rebalancer: \S+ carries 80 events\/s, 0% above the mean of 80 events\/s: no longer above the level moves relieve it to \(\+10%\)\. The next run proposes again if still needed\.$/);
    }
  });

  it("approves by policy when auto-approve is on and queues the mover once per migration", async () => {
    await updateRebalanceSettings(db, { autoApprove: true }, null);
    await setRates(shardlets.map((_, i) => [150, 25, 10][i % 3]!));
    const r = await runRebalancePlan(deps, { queue, actor: "ops@example.com" });
    expect(r.created.map((c) => c.phase)).toEqual(["approved", "approved"]);
    const rows = await migrations();
    expect(rows.every((m) => m.phase === "approved" && m.decidedBy === "rebalancer (run by ops@example.com)" && m.decidedAt !== null)).toBe(true);
    expect(await queuedRuns()).toEqual(rows.map((m) => m.id).sort());
    const job = (await queue.getJobs(["waiting"])).find((j) => j.name === "migration.run")!;
    expect(job.opts.deduplication?.id).toBe(migrationRunJobId((job.data as { migrationId: string }).migrationId));
    const events = await db.migrationEvent.findMany({ where: { migrationId: rows[0]!.id }, orderBy: { id: "asc" } });
    expect(events.map((e) => e.message)).toEqual([
      expect.stringMatching(/^Proposed by rebalancer \(run by ops@example\.com\): /),
      "Approved at once by rebalancer (run by ops@example.com): auto-approve policy.",
    ]);
  });

  it("plans every shardlet off a draining host, a few open at a time, approved and queued", async () => {
    await updateRebalanceSettings(db, { maxProposalsPerRun: 3 }, null);
    await setRates(shardlets.map((_, i) => 10 + i));
    const [h1, h2, h3] = cluster.hostIds as [string, string, string];
    await db.host.update({ where: { id: h2 }, data: { status: "draining" } });
    const r = await runRebalancePlan(deps, { queue });
    expect(r.drainingHosts).toBe(1);
    const rows = await migrations();
    expect(rows).toHaveLength(3);
    expect(rows.every((m) => m.origin === "drain" && m.phase === "approved" && m.sourceHostId === h2 && [h1, h3].includes(m.destHostId))).toBe(true);
    // Heaviest first: h2 holds shardlets 1, 4, 7, 10 with 11, 14, 17, 20 events/s.
    expect(rows.map((m) => m.shardletId).sort()).toEqual([shardlets[4]!.id, shardlets[7]!.id, shardlets[10]!.id].sort());
    expect(await queuedRuns()).toEqual(rows.map((m) => m.id).sort());
    expect((await listPlannerNotes(db, { source: "rebalancer" })).map((n) => n.message)).toContain(
      "test-host-2 is draining: 1 more shardlet waits until earlier drain moves finish (a few are kept open at a time).",
    );
    // Open drain moves count against the limit: nothing more until one ends.
    now += 30_000;
    expect((await runRebalancePlan(deps, { queue })).created).toEqual([]);
    await db.migration.update({ where: { id: rows[0]!.id }, data: { phase: "done", finishedAt: new Date(now) } });
    await db.shardlet.update({ where: { id: rows[0]!.shardletId }, data: { hostId: rows[0]!.destHostId } });
    const next = await runRebalancePlan(deps, { queue });
    expect(next.created.map((c) => c.shardletId)).toEqual([shardlets[1]!.id]);
    await db.shardlet.update({ where: { id: rows[0]!.shardletId }, data: { hostId: h2 } });
  });

  it("leaves recently moved shardlets alone (cool-down), and those whose move failed", async () => {
    await setRates(shardlets.map((_, i) => [150, 25, 10][i % 3]!));
    const [h1, h2] = cluster.hostIds as [string, string];
    // Every shardlet of host 1 finished a move ten minutes ago (within the 15-minute cool-down),
    // half of them as failures (a move that failed, say on an id clash, would fail again at once).
    for (const [i, s] of shardlets.filter((x) => x.hostId === h1).entries()) {
      await db.migration.create({
        data: {
          streamId: cluster.streamId,
          shardletId: s.id,
          sourceHostId: h2,
          destHostId: h1,
          phase: i % 2 === 0 ? "done" : "failed",
          origin: "manual",
          reason: "earlier move",
          finishedAt: new Date(now - 600_000),
        },
      });
    }
    const r = await runRebalancePlan(deps);
    expect(r.created).toEqual([]);
    expect(r.notes.map((n) => n.message)).toEqual([
      "test-host-1 carries 600 events/s, 143% above the mean of 247 events/s, but none of its shardlets can move now: 4 moved, or failed to move, within the cool-down of 15 min.",
    ]);
  });
});

describe("rebalance.plan through the worker's queue", () => {
  it("runs as a job and reports a summary", async () => {
    await setRates(shardlets.map((_, i) => [150, 25, 10][i % 3]!));
    const workerConnection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const wprefix = `${prefix}_w`;
    const running = await startWorker(deps, { connection: workerConnection, prefix: wprefix, concurrency: 1, schedule: false, accountingEveryMs: 5_000, healthEveryMs: 10_000, hintDebounceMs: 0 });
    const events: QueueEvents = createQueueEvents(workerConnection, { prefix: wprefix });
    await events.waitUntilReady();
    try {
      const job = await enqueue(running.queue, "rebalance.plan", { actor: "ops@example.com" });
      const result = await job.waitUntilFinished(events, 20_000);
      expect(result).toEqual({ proposed: 2, approved: 0, duplicates: 0, withdrawn: 0, notes: 1, drainingHosts: 0 });
      expect(await db.migration.count({ where: { phase: "proposed" } })).toBe(2);
    } finally {
      await events.close();
      await running.queue.obliterate({ force: true });
      await running.close();
      workerConnection.disconnect();
    }
  });
});
