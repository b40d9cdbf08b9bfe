import { randomBytes } from "node:crypto";
import { listPlannerNotes, type ControlDb } from "@shardcast/db";
import { createTestCluster, waitFor, type TestCluster } from "@shardcast/db/testing";
import { createLogger } from "@shardcast/runtime/logger";
import { createOpLocks, type OpLockHandle, type OpLocks } from "@shardcast/runtime/oplock";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { Redis } from "ioredis";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { WorkerDeps } from "../src/deps.ts";
import { runAnalyzer } from "../src/analyzer/run.ts";
import { plannerLockId, type Planner } from "../src/domain/planner-lock.ts";
import { runOrchestrator } from "../src/orchestrator/run.ts";
import { runRebalancePlan } from "../src/rebalance/plan.ts";

/**
 * One run of each planner at a time in the cluster. A scheduled run that finds another holding the
 * planner is skipped and stores nothing, so two snapshots never each propose moves for the same
 * load or replace each other's notes; a run an operator asked for waits for the one under way.
 */

let cluster: TestCluster;
let db: ControlDb;
let redis: Redis;
let opLocks: OpLocks;
let deps: WorkerDeps;
let logLines: string[] = [];

beforeAll(async () => {
  cluster = await createTestCluster({ hosts: 3, stream: `pl-${randomBytes(3).toString("hex")}`, shardCount: 1, shardletsPerShard: 12 });
  db = cluster.db;
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 3 });
  const log = createLogger({ test: "planner-lock" }, { level: "info", write: (line) => logLines.push(line) });
  opLocks = createOpLocks([redis], { prefix: `sc_pl_${randomBytes(4).toString("hex")}`, publisher: redis, log });
  deps = { db, hosts: cluster.hosts, log, clock: Date.now, opLocks };
  // Host 1 carries all the load in four shardlets: the rebalancer has moves to propose whenever it runs.
  const rows = await db.shardlet.findMany({ where: { streamId: cluster.streamId }, orderBy: { lo: "asc" } });
  for (const r of rows) await db.shardlet.update({ where: { id: r.id }, data: { writeRate: r.hostId === cluster.hostIds[0] ? 300 : 1, sizeBytes: BigInt(1 << 20) } });
});

beforeEach(async () => {
  await db.migrationEvent.deleteMany({});
  await db.migration.deleteMany({});
  await db.plannerNote.deleteMany({});
  logLines = [];
});

afterAll(async () => {
  await opLocks?.close();
  redis?.disconnect();
  await cluster?.drop();
});

/** The analyzer takes its own deps (no provisioning hook here). */
function analyzerDeps() {
  return { db, log: deps.log, clock: deps.clock, opLocks };
}

/** Holds `planner`'s run lock until the returned release is called. */
async function hold(planner: Planner): Promise<{ release: () => Promise<void> }> {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  let held!: (h: OpLockHandle) => void;
  const got = new Promise<OpLockHandle>((r) => (held = r));
  const done = opLocks.withOpLock(plannerLockId(planner), async (h) => {
    held(h);
    await released;
  });
  await got;
  return {
    release: async () => {
      release();
      await done;
    },
  };
}

describe("planner runs", () => {
  it("a scheduled rebalancer run that finds another under way is skipped and stores nothing; the next one plans", async () => {
    const lock = await hold("rebalancer");
    const held = await runRebalancePlan(deps);
    await lock.release();
    expect(held.skipped).toBe("another rebalancer run is in progress");
    expect(held.created).toEqual([]);
    expect(await db.migration.count()).toBe(0);
    expect(await listPlannerNotes(db, { source: "rebalancer" })).toEqual([]);

    const free = await runRebalancePlan(deps);
    expect(free.skipped).toBeUndefined();
    expect(free.created.length).toBeGreaterThan(0);
    expect(await db.migration.count()).toBe(free.created.length);
    expect((await listPlannerNotes(db, { source: "rebalancer" })).length).toBeGreaterThan(0);
  });

  it("Plan now waits for the run under way and then plans", async () => {
    const lock = await hold("rebalancer");
    const asked = runRebalancePlan(deps, { actor: "ops@example.com" });
    await waitFor("the run waits", () => logLines.some((l) => l.includes("rebalance plan waits for the run under way")), 10_000);
    // Nothing is stored while the other run holds the rebalancer.
    expect(await db.migration.count()).toBe(0);
    await lock.release();
    const r = await asked;
    expect(r.skipped).toBeUndefined();
    expect(r.created.length).toBeGreaterThan(0);
    expect(await db.migration.count()).toBe(r.created.length);
  });

  it("the lock is the rebalancer's own: an analyzer or orchestrator run holding theirs does not stop it", async () => {
    const a = await hold("analyzer");
    const o = await hold("orchestrator");
    const r = await runRebalancePlan(deps);
    await a.release();
    await o.release();
    expect(r.skipped).toBeUndefined();
  });

  it("a scheduled analyzer or orchestrator run that finds another under way is skipped", async () => {
    const a = await hold("analyzer");
    const analyzer = await runAnalyzer(analyzerDeps());
    await a.release();
    expect(analyzer).toMatchObject({ runId: null, skipped: "another analyzer run is in progress" });
    expect(await db.analyzerRun.count()).toBe(0);
    const o = await hold("orchestrator");
    const orchestrator = await runOrchestrator(deps);
    await o.release();
    expect(orchestrator.skipped).toBe("another orchestrator run is in progress");
  });

  it("an analyzer run an operator asked for says it waits, then runs once the other ends", async () => {
    const before = await db.analyzerRun.count();
    const lock = await hold("analyzer");
    const stages: string[] = [];
    const asked = runAnalyzer(analyzerDeps(), { trigger: "manual", onProgress: (p) => void stages.push(p.stage) });
    await waitFor("the run says it waits", () => stages.includes("waiting for the run under way"), 10_000);
    expect(await db.analyzerRun.count()).toBe(before);
    await lock.release();
    const r = await asked;
    expect(r.skipped).toBeUndefined();
    expect(r.runId).not.toBeNull();
    expect(await db.analyzerRun.count()).toBe(before + 1);
  });
});
