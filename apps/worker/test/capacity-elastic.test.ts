import { forecastStartMs } from "@shardcast/core";
import {
  getLatestCapacityPlan,
  listAnalyzerProposals,
  listCapacityHosts,
  listOperations,
  listShardlets,
  updateRebalanceSettings,
  setStreamPredictiveMode,
  updateAnalyzerSettings,
  updateCapacitySettings,
} from "@shardcast/db";
import { pgAdminUrl } from "@shardcast/db/env";
import { withDatabase } from "@shardcast/runtime/embedded-postgres";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAnalyzer } from "../src/analyzer/run.ts";
import { runHostProvision } from "../src/processors/host-provision.ts";
import { runRebalancePlan } from "../src/rebalance/plan.ts";
import { insertWriteRates } from "./analyzer-telemetry.ts";
import { startMigrationHarness, type MigrationHarness } from "./migration-harness.ts";

/**
 * A compressed day (60 steps of 10 s) with a peak in the middle: the analyzer plans capacity on
 * the forecast, asks for a host a lead before the peak, fills it before the peak, and drains and
 * retires it in the trough, while every event acknowledged through the edge stays readable.
 * Time is the harness's clock moved on step by step (telemetry as the rollup would store it).
 */
const STEP_MS = 10_000;
const DAY = 60;
const PER_HOST = 100;
const TROUGH = 40;
const PEAK = 200;
const SHARDLET_BYTES = 4 * 1024 * 1024;

/** Cluster write rate at a phase of the day: lowest at 0, highest at DAY / 2. */
function clusterRate(phase: number): number {
  return TROUGH + (PEAK - TROUGH) * (0.5 - 0.5 * Math.cos((2 * Math.PI * phase) / DAY));
}

describe("capacity planning: a host added ahead of the peak and retired in the trough", () => {
  let t: MigrationHarness;
  let offset = 0;
  const extraDatabases: string[] = [];

  beforeAll(async () => {
    t = await startMigrationHarness({ hosts: 2, shardCount: 2, shardletsPerShard: 2 });
    const h = t.h;
    h.deps.clock = () => Date.now() + offset;
    const [row] = await h.db.$queryRaw<Array<{ name: string }>>`SELECT current_database()::text AS name`;
    h.deps.provision = { mode: "embedded", controlUrl: withDatabase(pgAdminUrl(), row!.name) };
  }, 60_000);
  afterAll(async () => {
    await t?.close();
    const admin = new pg.Client({ connectionString: pgAdminUrl() });
    await admin.connect();
    try {
      for (const name of extraDatabases) await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  });

  it("adds a host a lead before the peak, fills it in time, drains and retires it in the trough, and loses no event", { timeout: 150_000 }, async () => {
    const { h } = t;
    const db = h.db;
    await db.host.updateMany({ data: { capacityEventsPerSec: PER_HOST } });
    await updateAnalyzerSettings(db, { bucketSec: 10, horizonSec: 600, historySteps: 2 * DAY, period: DAY, telemetryLagSec: 0, moveCooldownSec: 0 }, null);
    await updateCapacitySettings(
      db,
      { mode: "act", minHosts: 2, maxHosts: 3, provisionSec: 30, copyBytesPerSec: 128 * 1024, movesPerHost: 2, moveSetupSec: 5, marginSec: 20, minHostLifetimeSec: 120, minScaleInSavingSec: 60 },
      null,
    );
    await setStreamPredictiveMode(db, h.streamId, "act");
    // The rebalancer fills the new host from the observed loads and approves its own moves. By copy:
    // the host is drained and retired in the same trough, which a hand-off's history (kept where it
    // was written until retention drops it) would outlive.
    await updateRebalanceSettings(db, { autoApprove: true, cooldownSec: 0, moveMode: "copy" }, null);
    // Yesterday repeated: the forecast is right, so what is checked is the planning, not the model.
    await db.modelVersion.create({ data: { kind: "seasonal_naive", version: 1, status: "active", promotedAt: new Date() } });

    // The day starts at a trough; two days of history end there.
    const now0 = h.deps.clock();
    const dayStart = forecastStartMs(now0, { bucketSec: 10, telemetryLagSec: 0 });
    const shardlets = await listShardlets(db, { streamId: h.streamId });
    expect(shardlets).toHaveLength(4);
    await db.shardlet.updateMany({ where: { streamId: h.streamId }, data: { createdAt: new Date(dayStart - 3 * DAY * STEP_MS), sizeBytes: BigInt(SHARDLET_BYTES) } });
    const history = Array.from({ length: 2 * DAY }, (_, i) => clusterRate(i % DAY) / shardlets.length);
    for (const s of shardlets) await insertWriteRates(db, { streamId: h.streamId, shardletId: s.id, endMs: dayStart, bucketSec: 10, rates: history });

    // Events acknowledged before anything moves.
    await t.write({ lo: 0, hi: 2 ** 32 }, 300, { batch: 50 });

    const peakMs = dayStart + (DAY / 2) * STEP_MS;
    let addDetails: Record<string, unknown> | null = null;
    let addRunAt: number | null = null;
    let newHostId: string | null = null;
    let filledAt: number | null = null;
    let retiredAt: number | null = null;
    const migrationsRun = new Set<string>();

    // One analyzer run per step through the day and into the next trough.
    for (let step = 0; step < DAY + 10 && retiredAt === null; step++) {
      offset = dayStart + step * STEP_MS + 1_000 - Date.now();
      if (step > 0) {
        const live = await listShardlets(db, { streamId: h.streamId });
        const routed = live.filter((s) => s.state === "active");
        await db.shardlet.updateMany({ where: { id: { in: routed.map((s) => s.id) } }, data: { writeRate: clusterRate((step - 1) % DAY) / routed.length } });
        for (const s of routed) await insertWriteRates(db, { streamId: h.streamId, shardletId: s.id, endMs: dayStart + step * STEP_MS, bucketSec: 10, rates: [clusterRate((step - 1) % DAY) / routed.length] });
      }
      const run = await runAnalyzer(
        { db, log: h.deps.log, clock: h.deps.clock, provision: (proposalId, actor) => runHostProvision(h.deps, { proposalId, actor }) },
        { trigger: "manual" },
      );
      if (addDetails === null) {
        // The plan's add_host (the scale signal's own carries no start time), once act mode took it.
        const [add] = (await listAnalyzerProposals(db, { kind: "add_host", status: "applied", limit: 5 })).filter((p) => typeof p.details?.startByMs === "number");
        if (add) {
          addDetails = add.details;
          addRunAt = (await db.analyzerRun.findUnique({ where: { id: add.runId! } }))!.at.getTime();
        }
      }
      if (run.capacity?.provisioned.length && !newHostId) {
        const hosts = await listCapacityHosts(db);
        newHostId = hosts.find((x) => !h.hostIds.includes(x.id))?.id ?? null;
      }
      if (newHostId) await runRebalancePlan({ ...h.deps }, {});
      // Every approved (or due) migration runs to its end, as the scheduler and mover would.
      const due = await db.migration.findMany({ where: { phase: { in: ["approved", "scheduled"] } } });
      for (const m of due) {
        if (m.phase === "scheduled" && m.windowStart && m.windowStart.getTime() > h.deps.clock()) continue;
        await t.runToEnd(m.id);
        migrationsRun.add(m.id);
        if (newHostId && m.destHostId === newHostId && filledAt === null) filledAt = h.deps.clock();
      }
      if (step === DAY / 2) await t.write({ lo: 0, hi: 2 ** 32 }, 200, { batch: 50 });
      if (run.capacity?.retired.length) retiredAt = h.deps.clock();
    }

    // Proposed early enough: asked for no later than a lead before the need, a lead that holds
    // provisioning and the copy of the new host's share at the copy budget.
    expect(addDetails).not.toBeNull();
    const d = addDetails as { needByMs: number; startByMs: number; leadSec: number; fillBytes: number; late: boolean; forecast: { startMs: number } };
    expect(d.late).toBe(false);
    // The plan's "now" is the start of its forecast, the step the run was made in.
    expect(d.forecast.startMs).toBeLessThanOrEqual(addRunAt!);
    expect(addRunAt! - d.forecast.startMs).toBeLessThan(STEP_MS);
    expect(d.needByMs - d.leadSec * 1000).toBeGreaterThanOrEqual(d.forecast.startMs);
    expect(d.needByMs).toBeLessThan(peakMs);
    const copySec = 5 + d.fillBytes / (128 * 1024 * 2);
    expect(d.fillBytes).toBeGreaterThan(SHARDLET_BYTES);
    expect(d.leadSec).toBeGreaterThanOrEqual(Math.floor(30 + copySec + 20));

    // Provisioned (embedded: a new database) and filled before the peak.
    expect(newHostId).not.toBeNull();
    expect(filledAt).not.toBeNull();
    expect(filledAt!).toBeLessThan(peakMs);

    // Drained and retired in the trough, holding nothing.
    expect(retiredAt).not.toBeNull();
    const retired = (await listCapacityHosts(db)).find((x) => x.retiredAt !== null);
    expect(retired).toBeDefined();
    expect(retired!.shardlets).toBe(0);
    const ops = await listOperations(db, { limit: 200 });
    for (const kind of ["capacity.add_host", "host.provision", "capacity.drain_host", "capacity.retire_host"]) expect(ops.some((o) => o.kind === kind)).toBe(true);
    const plan = await getLatestCapacityPlan(db);
    expect(plan?.plan.timeline.length).toBe(60);
    expect(migrationsRun.size).toBeGreaterThan(0);

    // Every acknowledged event, by count and checksum.
    const report = await h.check();
    expect(report.missing).toEqual([]);
    expect(report.rows).toBe(report.acked);
    expect(report.checksumStored).toBe(report.checksumAcked);
    const added = await db.host.findMany({ where: { id: { notIn: h.hostIds } }, select: { dsn: true } });
    extraDatabases.push(...added.map((x) => decodeURIComponent(new URL(x.dsn).pathname.slice(1))));
  });
});
