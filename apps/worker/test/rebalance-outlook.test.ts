import { randomBytes } from "node:crypto";
import { listPlannerNotes, updateRebalanceSettings, type ControlDb } from "@shardcast/db";
import { createTestCluster, type TestCluster } from "@shardcast/db/testing";
import { createLogger } from "@shardcast/runtime/logger";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { WorkerDeps } from "../src/deps.ts";
import { runRebalancePlan } from "../src/rebalance/plan.ts";

const MIB = 1024 * 1024;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

let cluster: TestCluster;
let db: ControlDb;
let deps: WorkerDeps;
/** The planner's clock: the real time at the start of each test (rows stamped by the database agree with it). */
let now = Date.now();
/** Shardlets in hash order; the layout puts shardlet i on host i % 3. */
let shardlets: Array<{ id: string; hostId: string }> = [];

/**
 * One-minute telemetry rows for the last two hours: `rate(i, ageMin)` events/s for shardlet i in
 * the minute that started `ageMin` minutes ago; null leaves the minute without a row.
 */
async function writeTelemetry(rate: (i: number, ageMin: number) => number | null): Promise<void> {
  const newest = Math.floor(now / MINUTE) * MINUTE;
  const rows = [];
  for (const [i, s] of shardlets.entries()) {
    for (let age = 0; age <= 120; age++) {
      const r = rate(i, age);
      if (r === null) continue;
      rows.push({ resolution: 60, bucketStart: new Date(newest - age * MINUTE), shardletId: s.id, streamId: cluster.streamId, writes: BigInt(Math.round(r * 60)) });
    }
  }
  await db.telemetryBucket.createMany({ data: rows });
}

beforeAll(async () => {
  cluster = await createTestCluster({ hosts: 3, stream: `ro-${randomBytes(3).toString("hex")}`, shardCount: 1, shardletsPerShard: 12 });
  db = cluster.db;
  deps = { db, hosts: cluster.hosts, log: createLogger({ test: "rebalance-outlook" }, { level: "error" }), clock: () => now };
  const rows = await db.shardlet.findMany({ where: { streamId: cluster.streamId }, orderBy: { lo: "asc" } });
  shardlets = rows.map((r) => ({ id: r.id, hostId: r.hostId }));
  expect(shardlets.map((s) => s.hostId)).toEqual(Array.from({ length: 12 }, (_, i) => cluster.hostIds[i % 3]));
  // Every host at 400 of 1,000 events/s by accounting: balanced, and far under the 800 limit.
  await db.host.updateMany({ data: { capacityEventsPerSec: 1_000 } });
  await db.shardlet.updateMany({ where: { streamId: cluster.streamId }, data: { writeRate: 100, sizeBytes: BigInt(MIB) } });
});

afterAll(async () => {
  await cluster?.drop();
});

beforeEach(async () => {
  await db.migrationEvent.deleteMany({});
  await db.migration.deleteMany({});
  await db.telemetryBucket.deleteMany({});
  await db.setting.deleteMany({ where: { key: "rebalance" } });
  now = Date.now();
  // The stream has been taking writes for hours, except shardlet 2 (on host 3): just split off.
  await db.shardlet.updateMany({ where: { streamId: cluster.streamId }, data: { createdAt: new Date(now - 3 * HOUR) } });
  await db.shardlet.update({ where: { id: shardlets[2]!.id }, data: { createdAt: new Date(now - 10 * MINUTE) } });
  // Host 1's shardlets climbed steadily from 0 to 100 events/s over the last two hours (50 per
  // hour); the others are flat at 100. The new shardlet has telemetry only since it exists.
  await writeTelemetry((i, age) => (i === 2 ? (age < 10 ? 100 : null) : i % 3 === 0 ? 100 - (50 * age) / 60 : 100));
});

describe("rebalance.plan with the per-host look-ahead", () => {
  it("moves load off a host that telemetry shows rising steeply while it is still under its limit", async () => {
    const [h1] = cluster.hostIds as [string];
    const r = await runRebalancePlan(deps);
    const rows = await db.migration.findMany();
    expect(r.created).toHaveLength(1);
    expect(rows.map((m) => m.sourceHostId)).toEqual([h1]);
    // 400 events/s now and 200 more over the last hour: planned at 600 an hour ahead. The new
    // shardlet's telemetry (none an hour ago) is not taken for a rise of host 3.
    expect(rows[0]!.reason).toMatch(
      /^test-host-1 is rising: planned at 600 events\/s, 1 h ahead \(400 events\/s now\), 29% above the mean of 467 events\/s \(trigger \+20%\): handing /,
    );
    expect(rows[0]!.expectedLoad).toMatchObject({ [h1]: { before: 600, after: 500 } });
  });

  it("proposes nothing with the look-ahead off (lead 0): the outlook is what moved it", async () => {
    await updateRebalanceSettings(db, { outlookLeadSec: 0 }, null);
    const r = await runRebalancePlan(deps);
    expect(r.created).toEqual([]);
    expect(await db.migration.count()).toBe(0);
    const notes = await listPlannerNotes(db, { source: "rebalancer" });
    expect(notes.map((n) => n.message)).toEqual([expect.stringMatching(/^Balanced: the hottest host test-host-\d carries 400 events\/s, 0% above the mean of 400 events\/s/)]);
  });

  it("counts a shardlet split off since the window as flat", async () => {
    // Only the new shardlet rises (from nothing): host 3 is not planned higher than it carries.
    await db.telemetryBucket.deleteMany({});
    await writeTelemetry((i, age) => (i === 2 ? (age < 10 ? 300 : null) : 100));
    const r = await runRebalancePlan(deps);
    expect(r.created).toEqual([]);
    expect(r.notes.map((n) => n.message)).toEqual([expect.stringMatching(/^Balanced: the hottest host test-host-\d carries 400 events\/s/)]);
  });
});
