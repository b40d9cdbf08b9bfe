import { createLifecycleJob, failLifecycleJob } from "@shardcast/db";
import { waitFor } from "@shardcast/core/testing";
import { describe, expect, it } from "vitest";
import { runLifecycleJob } from "../src/lifecycle/machine.ts";
import { planSplit } from "../src/lifecycle/plan.ts";
import { runMigration } from "../src/migration/machine.ts";
import { runOverflowDrain } from "../src/processors/overflow-drain.ts";
import { runShardletSplit } from "../src/processors/shardlet-split.ts";
import type { MigrationHarness } from "./migration-harness.ts";
import { rangeOf, useMigrationRulesHarness } from "./migration-rules-harness.ts";

/**
 * What a migration refuses or waits for when the shardlet changes: a stale proposal, splits and
 * merges under way (and the other way round), the overflow sweep.
 */

let t: MigrationHarness;
const { shardlets, other, stoppedInCopy, expectClean } = useMigrationRulesHarness((started) => (t = started));

describe("stale proposals", () => {
  it("fails a migration whose shardlet was split since it was proposed, touching nothing", async () => {
    const s = (await shardlets())[0]!;
    await t.write(rangeOf(s), 200, { inRangeShare: 1 });
    const id = await t.approve(s.id, other(s.hostId));
    expect(await runShardletSplit(t.h.deps, { shardletId: s.id, reason: "test split" })).toMatchObject({ status: "done" });
    expect(await runMigration(t.h.deps, id)).toMatchObject({ status: "failed" });
    const m = await t.migration(id);
    expect(m.error).toMatch(/no longer exists \(it was split or merged/);
    expect(m.rowsCopied).toBe(0);
    expect((await t.h.db.shardlet.findUniqueOrThrow({ where: { id: s.id } })).state).toBe("retired");
    await expectClean(rangeOf(s), s.hostId);
  });

  it("fails a migration whose shardlet's epoch moved since it was proposed", async () => {
    const s = (await shardlets())[2]!;
    const id = await t.approve(s.id, other(s.hostId));
    await t.h.db.migration.update({ where: { id }, data: { shardletEpoch: s.epoch - 1 + 10 } });
    expect(await runMigration(t.h.deps, id)).toMatchObject({ status: "failed" });
    expect((await t.migration(id)).error).toMatch(/changed since the migration was proposed \(epoch \d+ -> \d+/);
    expect((await t.route(s.id)).epoch).toBe(s.epoch);
  });
});

describe("splits, merges and the overflow sweep", () => {
  it("leaves a migrating shardlet alone, and the migration still finishes", async () => {
    const s = (await shardlets())[3]!;
    const range = rangeOf(s);
    await t.write(range, 200, { inRangeShare: 1 });
    const id = await stoppedInCopy(s.id, other(s.hostId));
    // The planner skips it; a split planned before the migration started gives up under the lock.
    expect(await planSplit(t.h.deps, { shardletId: s.id, reason: "test" })).toEqual({ skipped: "shardlet is being migrated to another host" });
    const route = await t.route(s.id);
    const job = await createLifecycleJob(t.h.db, {
      kind: "split",
      streamId: s.streamId,
      hostId: s.hostId,
      sourceIds: [s.id],
      childIds: ["child-a-" + s.id, "child-b-" + s.id],
      splitAt: Math.floor((route.lo + route.hi) / 2),
      reason: "planned before the migration",
    });
    expect(await runLifecycleJob(t.h.deps, job.job.id)).toMatchObject({ status: "failed", error: expect.stringMatching(/being migrated/) as string });

    // Events acknowledged through the overflow log while the shardlet is locked are not drained
    // into the source by the sweep (the copy might miss them); the switch drains them.
    const home = (await t.h.db.shard.findUniqueOrThrow({ where: { id: s.shardId } })).homeHostId;
    await t.h.opLocks.withOpLock(s.id, async () => {
      await waitFor("the edge to see the lock", () => t.h.edge.locks.has(s.id), 5_000, { intervalMs: 10 });
      await t.write(range, 40, { inRangeShare: 1, batch: 20 });
    });
    const held = await (await t.h.driver(home)).countOverflow(t.h.streamId, range.lo, range.hi);
    expect(held).toBeGreaterThanOrEqual(40);
    await runOverflowDrain(t.h.deps, { streamId: t.h.streamId });
    expect(await (await t.h.driver(home)).countOverflow(t.h.streamId, range.lo, range.hi)).toBe(held);

    const results = await t.runToEnd(id);
    expect(results[results.length - 1]).toMatchObject({ status: "done" });
    expect(await (await t.h.driver(home)).countOverflow(t.h.streamId, range.lo, range.hi)).toBe(0);
    await expectClean(range, other(s.hostId));
  });

  it("waits for a split or merge under way on the shardlet before it starts", async () => {
    const s = (await shardlets())[4]!;
    const job = await createLifecycleJob(t.h.db, {
      kind: "split",
      streamId: s.streamId,
      hostId: s.hostId,
      sourceIds: [s.id],
      childIds: ["x-" + s.id, "y-" + s.id],
      splitAt: Math.floor((Number(s.lo) + Number(s.hi)) / 2),
      reason: "under way",
    });
    const id = await t.approve(s.id, other(s.hostId));
    const first = await runMigration(t.h.deps, id);
    expect(first).toMatchObject({ status: "paused", phase: "approved", reason: expect.stringMatching(/waiting for split job/) as string });
    await failLifecycleJob(t.h.db, job.job.id, "test", { kind: "shardlet.split", status: "failed", message: "test" });
    const results = await t.runToEnd(id);
    expect(results[results.length - 1]).toMatchObject({ status: "done" });
  });
});
