import { randomBytes } from "node:crypto";
import { listPlannerNotes, type ControlDb } from "@shardcast/db";
import { createTestCluster, type TestCluster } from "@shardcast/db/testing";
import { createLogger } from "@shardcast/runtime/logger";
import { createOpLocks, type OpLocks } from "@shardcast/runtime/oplock";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { WorkerDeps } from "../src/deps.ts";
import { runAnalyzer } from "../src/analyzer/run.ts";
import { plannerLockId } from "../src/domain/planner-lock.ts";
import { runOrchestrator } from "../src/orchestrator/run.ts";
import { runRebalancePlan } from "../src/rebalance/plan.ts";

/**
 * One run of each planner at a time in the cluster: a run that finds another holding the planner
 * (a scheduled run and one an operator asked for, or two workers) is skipped and stores nothing,
 * so two snapshots never each propose moves for the same load or replace each other's notes.
 */

let cluster: TestCluster;
let db: ControlDb;
let redis: Redis;
let opLocks: OpLocks;
let deps: WorkerDeps;

beforeAll(async () => {
  cluster = await createTestCluster({ hosts: 3, stream: `pl-${randomBytes(3).toString("hex")}`, shardCount: 1, shardletsPerShard: 12 });
  db = cluster.db;
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 3 });
  const log = createLogger({ test: "planner-lock" }, { level: "error" });
  opLocks = createOpLocks([redis], { prefix: `sc_pl_${randomBytes(4).toString("hex")}`, publisher: redis, log });
  deps = { db, hosts: cluster.hosts, log, clock: Date.now, opLocks };
  // Host 1 carries all the load in four shardlets: the rebalancer has moves to propose whenever it runs.
  const rows = await db.shardlet.findMany({ where: { streamId: cluster.streamId }, orderBy: { lo: "asc" } });
  for (const r of rows) await db.shardlet.update({ where: { id: r.id }, data: { writeRate: r.hostId === cluster.hostIds[0] ? 300 : 1, sizeBytes: BigInt(1 << 20) } });
});

/** The analyzer takes its own deps (no provisioning hook here). */
function analyzerDeps() {
  return { db, log: deps.log, clock: deps.clock, opLocks };
}

afterAll(async () => {
  await opLocks?.close();
  redis?.disconnect();
  await cluster?.drop();
});

describe("planner runs", () => {
  it("a rebalancer run that finds another under way is skipped and stores nothing; the next one plans", async () => {
    const held = await opLocks.withOpLock(plannerLockId("rebalancer"), () => runRebalancePlan(deps));
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

  it("the lock is the rebalancer's own: an analyzer or orchestrator run holding theirs does not stop it", async () => {
    const r = await opLocks.withOpLock(plannerLockId("analyzer"), () => opLocks.withOpLock(plannerLockId("orchestrator"), () => runRebalancePlan(deps)));
    expect(r.skipped).toBeUndefined();
  });

  it("an analyzer or orchestrator run that finds another under way is skipped", async () => {
    const analyzer = await opLocks.withOpLock(plannerLockId("analyzer"), () => runAnalyzer(analyzerDeps(), { trigger: "manual" }));
    expect(analyzer).toMatchObject({ runId: null, skipped: "another analyzer run is in progress" });
    expect(await db.analyzerRun.count()).toBe(0);
    const orchestrator = await opLocks.withOpLock(plannerLockId("orchestrator"), () => runOrchestrator(deps, { trigger: "manual" }));
    expect(orchestrator.skipped).toBe("another orchestrator run is in progress");
    expect(await listPlannerNotes(db, { source: "orchestrator" })).toEqual([]);

    // Free, both run (the analyzer records its run, the orchestrator its notes or proposals).
    const ran = await runAnalyzer(analyzerDeps(), { trigger: "manual" });
    expect(ran.skipped).toBeUndefined();
    expect(ran.runId).not.toBeNull();
    expect((await runOrchestrator(deps, { trigger: "manual" })).skipped).toBeUndefined();
  });
});
