import { HASH_SPACE } from "@shardcast/core";
import { listPlannerNotes, listSealedShardlets, loadRoutes, retireDrainedHost, setHostDraining, updateRebalanceSettings } from "@shardcast/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runOverflowDrain } from "../src/processors/overflow-drain.ts";
import { runShardletAccounting } from "../src/processors/shardlet-accounting.ts";
import { runRebalancePlan } from "../src/rebalance/plan.ts";
import { exactlyOnceProblems } from "./lifecycle-harness.ts";
import { startMigrationHarness, type MigrationHarness } from "./migration-harness.ts";

/**
 * Draining a host whose moves are hand-offs: the planner hands its routed shardlets off, then
 * deals with the history they left sealed there as the rebalance settings' `drainHistory` says:
 * `expire` proposes nothing and notes how much is left and when the last of it expires; `copy`
 * proposes history copies (origin drain, approved at once, a few at a time) to the active host
 * with the most byte room that may take each (not the host of its successor), and once they are
 * done the host holds nothing and is retired.
 */

let t: MigrationHarness;
let drained: string;
let drainedName: string;

beforeAll(async () => {
  t = await startMigrationHarness({ hosts: 3, shardCount: 1, shardletsPerShard: 6 });
  await t.settings({ chunkRows: 200, cleanupGraceMs: 100, rowsPerSecond: 0 });
  const home = (await t.h.db.shard.findFirstOrThrow({ where: { streamId: t.h.streamId } })).homeHostId;
  const routes = await loadRoutes(t.h.db, t.h.streamId);
  // A host other than the shard's home (which keeps the overflow log) holding two shardlets or more.
  drained = t.h.hostIds.find((h) => h !== home && routes.filter((r) => r.hostId === h).length >= 2)!;
  expect(drained).toBeDefined();
  drainedName = (await t.h.db.host.findUniqueOrThrow({ where: { id: drained } })).name;
  await t.write({ lo: 0, hi: HASH_SPACE }, 600, { inRangeShare: 1 });
  // The shardlets' sizes in the control database, which the planner weighs hosts' byte room by:
  // seconds on, since accounting leaves a shardlet measured less than a second ago as it is (the
  // writes above may take less than that).
  await runShardletAccounting({ ...t.h.deps, clock: () => Date.now() + 5_000 });
});

afterAll(async () => {
  await t?.close();
});

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

async function runAll(ids: readonly string[]) {
  for (const id of ids) expect((await t.runToEnd(id)).at(-1), id).toMatchObject({ status: "done" });
  await runOverflowDrain(t.h.deps, { streamId: t.h.streamId });
}

describe("draining a host with drainHistory", () => {
  it("hands the routed shardlets off, then copies their history off only with drainHistory = copy, and the host retires", async () => {
    await updateRebalanceSettings(t.h.db, { moveMode: "handoff", drainHistory: "expire", maxProposalsPerRun: 4 }, null);
    await setHostDraining(t.h.db, drained, true);
    const routedThere = (await loadRoutes(t.h.db, t.h.streamId)).filter((r) => r.hostId === drained);

    // The routed shardlets go first, by hand-off; no history is planned while they are there.
    const first = await runRebalancePlan(t.h.deps);
    const handoffs = await t.h.db.migration.findMany({ where: { id: { in: first.created.map((c) => c.id) } } });
    expect(handoffs.map((m) => m.shardletId).sort()).toEqual(routedThere.map((r) => r.id).sort());
    expect(handoffs.every((m) => m.origin === "drain" && m.phase === "approved" && m.mode === "handoff")).toBe(true);
    await runAll(handoffs.map((m) => m.id));
    const sealed = await listSealedShardlets(t.h.db, { hostId: drained });
    expect(sealed.map((s) => s.id).sort()).toEqual(routedThere.map((r) => r.id).sort());

    // expire: nothing proposed; the note says how much history is left and when the last of it goes.
    const expiring = await runRebalancePlan(t.h.deps);
    expect(expiring.created).toEqual([]);
    const last = new Date(Math.max(...sealed.map((s) => s.expiresAt.getTime()))).toISOString();
    const notes = (await listPlannerNotes(t.h.db, { source: "rebalancer" })).filter((n) => n.hostId === drained);
    expect(notes.map((n) => n.message)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${escape(`${drainedName} is draining and its shardlets are handed off; ${sealed.length} sealed shardlets of history (`)}[^)]+\\) stays there until retention drops it, ` +
            `the last at ${escape(last)} \\(in [^)]+\\): it can be retired then`,
        ),
      ),
    ]);
    await expect(retireDrainedHost(t.h.db, drained, new Date())).rejects.toThrow(new RegExp(`still holds ${sealed.length} shardlets`));

    // copy, one at a time: a history copy per run, each to a host other than its successor's.
    await updateRebalanceSettings(t.h.db, { drainHistory: "copy", maxProposalsPerRun: 1 }, null);
    const copied: string[] = [];
    for (let run = 0; run < sealed.length; run++) {
      const plan = await runRebalancePlan(t.h.deps);
      expect(plan.created).toHaveLength(1);
      const m = await t.h.db.migration.findUniqueOrThrow({ where: { id: plan.created[0]!.id } });
      const s = sealed.find((x) => x.id === m.shardletId)!;
      const successor = (await loadRoutes(t.h.db, t.h.streamId)).find((r) => r.lo === s.lo && r.hi === s.hi)!;
      expect(m).toMatchObject({ origin: "drain", phase: "approved", mode: "copy", sourceHostId: drained, shardletEpoch: s.epoch });
      expect([drained, successor.hostId]).not.toContain(m.destHostId);
      expect(s.sizeBytes).toBeGreaterThan(0);
      expect(Number(m.bytesToMove)).toBe(s.sizeBytes);
      expect(m.reason).toMatch(new RegExp(`^${drainedName} is being drained: copying the sealed history of ${t.h.stream} 0x[0-9a-f]{8}–0x[0-9a-f]{8} \\(`));
      if (run < sealed.length - 1) {
        expect(plan.notes.filter((n) => n.hostId === drained).map((n) => n.message)).toEqual([
          expect.stringMatching(
            new RegExp(
              `^${escape(`${drainedName} is draining and its shardlets are handed off; ${sealed.length - run} sealed shardlets of history (`)}[^)]+\\) left, ` +
                escape(`1 history copy under way, ${sealed.length - 1 - run} more waiting until earlier copies finish (a few are kept open at a time). It can be retired once they are done.`) +
                "$",
            ),
          ),
        ]);
      }
      // Open drain moves count against the limit: nothing more until this one ends.
      expect((await runRebalancePlan(t.h.deps)).created).toEqual([]);
      await runAll([m.id]);
      copied.push(m.shardletId);
      expect(await t.h.db.shardlet.findUniqueOrThrow({ where: { id: m.shardletId } })).toMatchObject({ state: "sealed", hostId: m.destHostId });
    }
    expect(copied.sort()).toEqual(sealed.map((s) => s.id).sort());

    // The host holds nothing now: the drain says it can be retired, and it is.
    const done = await runRebalancePlan(t.h.deps);
    expect(done.created).toEqual([]);
    expect(done.notes.filter((n) => n.hostId === drained).map((n) => n.message)).toEqual([`${drainedName} is draining and holds no shardlet any more: it can be retired.`]);
    expect((await t.onHost(drained, { lo: 0, hi: HASH_SPACE })).rows).toBe(0);
    await retireDrainedHost(t.h.db, drained, new Date());
    expect(exactlyOnceProblems(await t.h.check())).toEqual([]);
  }, 180_000);
});
