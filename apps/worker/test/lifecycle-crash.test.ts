import { LIFECYCLE_PHASES, loadRoutes, type LifecycleJobInfo, type LifecycleStep } from "@shardcast/db";
import type { ShardletRoute } from "@shardcast/core";
import { createQueueEvents } from "@shardcast/jobs";
import type { QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runOverflowDrain } from "../src/processors/overflow-drain.ts";
import { runShardletManager } from "../src/processors/shardlet-manager.ts";
import { runShardletMerge } from "../src/processors/shardlet-merge.ts";
import { runShardletSplit } from "../src/processors/shardlet-split.ts";
import { startWorker } from "../src/worker.ts";
import { exactlyOnceProblems, REDIS_URL, startLifecycleHarness, type LifecycleHarness } from "./lifecycle-harness.ts";

type When = "afterPhase" | "afterStep";

let h: LifecycleHarness;
/** The crash the next job run suffers (then cleared, so the resumed run goes through). */
let crash: { when: When; phase: LifecycleStep } | null = null;
const crashes: string[] = [];

function maybeCrash(when: When, phase: LifecycleStep): void {
  if (crash && crash.when === when && crash.phase === phase) {
    crash = null;
    crashes.push(`${when}:${phase}`);
    throw new Error(`injected crash ${when} ${phase}`);
  }
}

beforeAll(async () => {
  h = await startLifecycleHarness({
    hosts: 2,
    shardCount: 2,
    shardletsPerShard: 2,
    settings: { minShardletWidth: 1024, initialCapacityBytes: 1024 * 1024 },
    lifecycle: {
      // Small chunks so a drain takes several chunks.
      drainChunkRows: 7,
      hooks: {
        afterPhase: (phase) => maybeCrash("afterPhase", phase),
        afterStep: (phase) => maybeCrash("afterStep", phase),
      },
    },
  });
});

afterAll(async () => {
  await h?.close();
});

async function routes(): Promise<ShardletRoute[]> {
  return loadRoutes(h.db, h.streamId);
}

async function write(lo: number, hi: number, n: number): Promise<void> {
  const events = Array.from({ length: n }, () => ({ key: h.keyIn(lo, hi), id: h.nextId() }));
  for (let i = 0; i < events.length; i += 25) await h.produce(events.slice(i, i + 25));
}

async function latestJob(sourceId: string): Promise<LifecycleJobInfo> {
  const row = await h.db.lifecycleJob.findFirst({ where: { sourceIds: { has: sourceId } }, orderBy: { createdAt: "desc" } });
  if (!row) throw new Error(`no lifecycle job for ${sourceId}`);
  return { ...row, splitAt: row.splitAt === null ? null : Number(row.splitAt), rowsMoved: Number(row.rowsMoved), drained: Number(row.drained) } as LifecycleJobInfo;
}

async function expectExactlyOnce(): Promise<void> {
  // The sweep stands in for the worker's periodic one: writes made while a job was down may have
  // reached the overflow log after the job's own drain.
  await runOverflowDrain(h.deps, { streamId: h.streamId });
  const report = await h.check();
  expect(exactlyOnceProblems(report)).toEqual([]);
  expect(report.rows).toBeGreaterThan(0);
}

/** Host fences and control rows agree after a finished change. */
async function expectSwitched(job: LifecycleJobInfo): Promise<void> {
  const driver = await h.driver(job.hostId);
  for (const id of job.sourceIds) {
    expect((await h.db.shardlet.findUniqueOrThrow({ where: { id } })).state).toBe("retired");
    expect((await driver.getFence(id))?.state).toBe("retired");
  }
  for (const id of job.childIds) {
    const row = await h.db.shardlet.findUniqueOrThrow({ where: { id } });
    expect(row.state).toBe("active");
    expect(row.parentId).toBe(job.sourceIds[0]);
    expect((await driver.getFence(id))).toMatchObject({ state: "active", epoch: row.epoch });
  }
  const ops = await h.db.operation.findMany({ where: { kind: `shardlet.${job.kind}`, shardletId: job.sourceIds[0]! } });
  expect(ops.filter((o) => (o.details as { jobId?: string } | null)?.jobId === job.id)).toHaveLength(1);
}

const cases: Array<{ when: When; phase: LifecycleStep }> = [];
for (const phase of LIFECYCLE_PHASES) for (const when of ["afterPhase", "afterStep"] as const) cases.push({ when, phase });

describe("a split or merge interrupted at any persisted phase completes when run again", () => {
  it.each(cases)("crash $when $phase: split, then merge back", async ({ when, phase }) => {
    // The shardlet of shard 0 that lives away from the shard's home host: its overflow log is on
    // the other host, so drains cross hosts.
    const all = await routes();
    const shard0 = all[0]!.shardId;
    const target = all.find((r) => r.shardId === shard0 && r.hostId !== all[0]!.hostId)!;
    expect(target).toBeDefined();
    const range = { lo: target.lo, hi: target.hi };

    // Split.
    await write(range.lo, range.hi, 60);
    crash = { when, phase };
    await expect(runShardletSplit(h.deps, { shardletId: target.id, reason: "test split" })).rejects.toThrow(/injected crash/);
    expect(crash).toBeNull();
    const split = await latestJob(target.id);
    // Producers keep writing while the job is down.
    await write(range.lo, range.hi, 40);
    const resumed =
      when === "afterPhase"
        ? await runShardletSplit(h.deps, { shardletId: target.id, reason: "test split" })
        : await runShardletSplit(h.deps, { shardletId: target.id, reason: "test split", jobId: split.id });
    expect(resumed).toMatchObject({ status: "done", jobId: split.id });
    const doneSplit = await latestJob(target.id);
    expect(doneSplit.phase).toBe("done");
    expect(doneSplit.finishedAt).not.toBeNull();
    await expectSwitched(doneSplit);
    await expectExactlyOnce();

    // Merge the two children back.
    const [left, right] = doneSplit.childIds;
    await write(range.lo, range.hi, 40);
    crash = { when, phase };
    await expect(runShardletMerge(h.deps, { leftId: left!, rightId: right!, reason: "test merge" })).rejects.toThrow(/injected crash/);
    const merge = await latestJob(left!);
    expect(merge.kind).toBe("merge");
    await write(range.lo, range.hi, 40);
    const merged =
      when === "afterPhase"
        ? await runShardletMerge(h.deps, { leftId: left!, rightId: right!, reason: "test merge" })
        : await runShardletMerge(h.deps, { leftId: left!, rightId: right!, reason: "test merge", jobId: merge.id });
    expect(merged).toMatchObject({ status: "done", jobId: merge.id });
    const doneMerge = await latestJob(left!);
    await expectSwitched(doneMerge);
    const child = await h.db.shardlet.findUniqueOrThrow({ where: { id: doneMerge.childIds[0]! } });
    expect(child.mergedFromId).toBe(right);
    expect([Number(child.lo), Number(child.hi)]).toEqual([range.lo, range.hi]);
    await expectExactlyOnce();
  });

  it("injected every crash it was asked for", () => {
    expect(crashes).toHaveLength(cases.length * 2);
  });
});

describe("a job that cannot start", () => {
  it("ends as failed and leaves the source authoritative", async () => {
    const target = (await routes())[0]!;
    await write(target.lo, target.hi, 30);
    crash = { when: "afterPhase", phase: "planned" };
    await expect(runShardletSplit(h.deps, { shardletId: target.id, reason: "doomed" })).rejects.toThrow(/injected crash/);
    // Something else moved the shardlet's fence meanwhile (the job's plan is stale).
    const driver = await h.driver(target.hostId);
    await driver.withClient((c) => c.query("UPDATE sc_fence SET epoch = epoch + 1 WHERE shardlet_id = $1", [target.id]));
    const out = await runShardletSplit(h.deps, { shardletId: target.id, reason: "doomed" });
    expect(out).toMatchObject({ status: "failed" });
    const job = await latestJob(target.id);
    expect(job.phase).toBe("failed");
    expect(job.error).toMatch(/does not match epoch/);
    expect((await h.db.shardlet.findUniqueOrThrow({ where: { id: target.id } })).state).toBe("active");
    expect(await h.db.shardlet.count({ where: { id: { in: job.childIds } } })).toBe(0);
    const op = await h.db.operation.findFirstOrThrow({ where: { kind: "shardlet.split", status: "failed", shardletId: target.id } });
    expect(op.message).toMatch(/abandoned before any change/);
    // Put the fence back so the source takes writes again; nothing was lost meanwhile.
    await driver.withClient((c) => c.query("UPDATE sc_fence SET epoch = epoch - 1 WHERE shardlet_id = $1", [target.id]));
    await h.edge.routing.refreshById(h.streamId);
    await write(target.lo, target.hi, 10);
    await expectExactlyOnce();
  });
});

describe("the manager resumes a job a dead worker left behind", () => {
  let connection: Redis;
  let queueEvents: QueueEvents;

  afterAll(async () => {
    await queueEvents?.close();
    connection?.disconnect();
  });

  it("re-enqueues a stalled job and a worker finishes it", async () => {
    const all = await routes();
    const target = all.reduce((a, b) => (b.hi - b.lo > a.hi - a.lo ? b : a));
    await write(target.lo, target.hi, 50);
    crash = { when: "afterPhase", phase: "moving" };
    await expect(runShardletSplit(h.deps, { shardletId: target.id, reason: "stalled" })).rejects.toThrow(/injected crash/);
    const stalled = await latestJob(target.id);
    expect(stalled.phase).toBe("moving");

    connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queueName = `lc-crash-${h.prefix}`;
    const deps = { ...h.deps, lifecycle: { ...h.deps.lifecycle, staleJobMs: 0 } };
    const running = await startWorker(deps, {
      connection,
      prefix: h.prefix,
      queueName,
      concurrency: 2,
      schedule: false,
      accountingEveryMs: 60_000,
      healthEveryMs: 60_000,
      hintDebounceMs: 0,
    });
    queueEvents = createQueueEvents(connection, { prefix: h.prefix, queueName });
    await queueEvents.waitUntilReady();
    try {
      const scan = await runShardletManager(deps, { queue: running.queue });
      expect(scan.resumed).toEqual([stalled.id]);
      const [queued] = await running.queue.getJobs(["waiting", "active", "delayed", "completed"]);
      expect(queued?.name).toBe("shardlet.split");
      const result = await queued!.waitUntilFinished(queueEvents, 30_000);
      expect(result).toMatchObject({ status: "done", jobId: stalled.id });
    } finally {
      await running.queue.obliterate({ force: true });
      await running.close();
    }
    await expectSwitched(await latestJob(target.id));
    await expectExactlyOnce();
  });
});
