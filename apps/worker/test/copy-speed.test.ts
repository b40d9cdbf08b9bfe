import { getLatestCapacityPlan, listShardlets, MIN_MEASURED_COPY_SEC, recentCopySpeed, updateCapacitySettings } from "@shardcast/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runAnalyzer } from "../src/analyzer/run.ts";
import { startMigrationHarness, type MigrationHarness } from "./migration-harness.ts";

const MIB = 1024 * 1024;
/** Stored bytes per row the test's proposals name (their `bytesToMove` over the rows they copy). */
const BYTES_PER_ROW = 200;
/** Slow enough that each copy lasts past the shortest one measured (`MIN_MEASURED_COPY_SEC`). */
const ROWS_PER_SECOND = 100;

/**
 * Migrations throttled to a copy budget far below the capacity planner's: the plans take the speed
 * the copies ran at, since a host asked for at the configured speed would be filled too late.
 */
describe("the copy speed plans assume", () => {
  let t: MigrationHarness;

  beforeAll(async () => {
    t = await startMigrationHarness({ hosts: 2, shardCount: 1, shardletsPerShard: 4 });
  }, 60_000);
  afterAll(async () => {
    await t?.close();
  });

  it("is what recent migrations achieved when that is slower than the budget, and the capacity plan says so", { timeout: 90_000 }, async () => {
    const { h } = t;
    const db = h.db;
    await t.settings({ rowsPerSecond: ROWS_PER_SECOND, chunkRows: 100, cleanupGraceMs: 100 });
    await t.write({ lo: 0, hi: 2 ** 32 }, 4_800, { batch: 200 });
    const [a, b] = h.hostIds as [string, string];
    const shardlets = (await listShardlets(db, { streamId: h.streamId })).filter((s) => s.hostId === a || s.hostId === b);
    expect(await recentCopySpeed(db)).toBeNull();

    // Three moves at once, each copying its rows at the throttle for longer than the shortest copy measured.
    await Promise.all(
      shardlets.slice(0, 3).map(async (s) => {
        const route = await t.route(s.id);
        const { rows } = await t.onHost(route.hostId, { lo: s.lo, hi: s.hi });
        expect(rows / ROWS_PER_SECOND).toBeGreaterThan(MIN_MEASURED_COPY_SEC);
        const id = await t.approve(s.id, route.hostId === a ? b : a, { bytesToMove: rows * BYTES_PER_ROW });
        const results = await t.runToEnd(id);
        expect(results.at(-1)?.status, JSON.stringify(results.at(-1))).toBe("done");
      }),
    );
    const measured = await recentCopySpeed(db);
    expect(measured?.migrations).toBe(3);
    // The throttle bounds the speed from above; the copy phase's own setup keeps it somewhat below.
    expect(measured!.bytesPerSec).toBeLessThanOrEqual(1.25 * ROWS_PER_SECOND * BYTES_PER_ROW);
    expect(measured!.bytesPerSec).toBeGreaterThan(0.1 * ROWS_PER_SECOND * BYTES_PER_ROW);

    // A budget of 100 MiB/s: the plan copies at the measured speed instead, and says why.
    await updateCapacitySettings(db, { copyBytesPerSec: 100 * MIB }, null);
    await runAnalyzer({ db, log: h.deps.log, clock: h.deps.clock }, { trigger: "manual" });
    const plan = await getLatestCapacityPlan(db);
    expect(plan?.plan.notes.join("\n")).toMatch(/copies planned at .*\/s, the median of the last 3 migrations, below the copy budget of 100 MiB\/s/);

    // A budget below what the copies achieved is the one planned with: no note.
    await updateCapacitySettings(db, { copyBytesPerSec: 8 * 1024 }, null);
    await runAnalyzer({ db, log: h.deps.log, clock: h.deps.clock }, { trigger: "manual" });
    const again = await getLatestCapacityPlan(db);
    expect(again?.plan.notes.join("\n")).not.toMatch(/copies planned at/);
  });
});
