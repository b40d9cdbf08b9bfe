import type { MigrationPhase } from "@shardcast/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMigration } from "../src/migration/machine.ts";
import { MIGRATION_STEPS, type MigrationStep } from "../src/migration/options.ts";
import { runOverflowDrain } from "../src/processors/overflow-drain.ts";
import { exactlyOnceProblems } from "./lifecycle-harness.ts";
import { startMigrationHarness, type MigrationHarness } from "./migration-harness.ts";

/**
 * A worker killed at every persisted boundary of a migration (simulated: a hook throws right after
 * the write, as a crash would stop the run there) and a new run started: the migration finishes,
 * or when the crash hit a cancel, is cancelled cleanly. Producers keep writing while the worker is
 * down. Then cancels in every phase before the switch: the source keeps everything, the
 * destination ends clean.
 */

let t: MigrationHarness;
let shardletId: string;
let range: { lo: number; hi: number };
/** The crash the next run suffers (cleared when it fires, so the resumed run goes through). */
let crash: { kind: "phase"; at: MigrationPhase } | { kind: "step"; at: MigrationStep } | null = null;
const fired: string[] = [];

beforeAll(async () => {
  t = await startMigrationHarness();
  // Small chunks and ranges so every loop runs several times; a short grace.
  await t.settings({ chunkRows: 100, verifyRangeRows: 100, switchTailRows: 50, cleanupGraceMs: 100, rowsPerSecond: 0 });
  t.hooks.afterPhase = (phase) => {
    if (crash?.kind === "phase" && crash.at === phase) {
      crash = null;
      fired.push(`phase:${phase}`);
      throw new Error(`injected crash after phase ${phase}`);
    }
  };
  t.hooks.afterStep = (step) => {
    if (crash?.kind === "step" && crash.at === step) {
      crash = null;
      fired.push(`step:${step}`);
      throw new Error(`injected crash after step ${step}`);
    }
  };
  const first = (await t.h.db.shardlet.findMany({ where: { streamId: t.h.streamId, state: "active" }, orderBy: { lo: "asc" } }))[1]!;
  shardletId = first.id;
  range = { lo: Number(first.lo), hi: Number(first.hi) };
  await t.write(range, 300);
});

afterAll(async () => {
  await t?.close();
});

async function otherHost(): Promise<{ from: string; to: string; epoch: number }> {
  const r = await t.route(shardletId);
  return { from: r.hostId, to: t.h.hostIds.find((id) => id !== r.hostId)!, epoch: r.epoch };
}

/** The range is on `hostId` only, with every acknowledged event exactly once. */
async function expectAllOn(hostId: string, elsewhere: string) {
  await runOverflowDrain(t.h.deps, { streamId: t.h.streamId });
  const expected = t.expected(range);
  expect(await t.onHost(hostId, range)).toEqual(expected);
  expect((await t.onHost(elsewhere, range)).rows).toBe(0);
  expect(exactlyOnceProblems(await t.h.check())).toEqual([]);
}

const crashCases: Array<{ kind: "phase"; at: MigrationPhase } | { kind: "step"; at: MigrationStep }> = [
  ...(["copying", "verifying", "switching", "cleanup"] as const).map((at) => ({ kind: "phase" as const, at })),
  ...MIGRATION_STEPS.filter((s) => !s.startsWith("cancel.")).map((at) => ({ kind: "step" as const, at })),
];

describe("a worker that dies at any point of a migration", () => {
  it.each(crashCases)("crash after $kind $at: a new run finishes the move", async (c) => {
    const { from, to, epoch } = await otherHost();
    await t.write(range, 100);
    const id = await t.approve(shardletId, to);
    crash = c;
    await expect(runMigration(t.h.deps, id)).rejects.toThrow(/injected crash/);
    expect(crash).toBeNull();
    const stopped = await t.migration(id);
    expect(["copying", "verifying", "switching", "cleanup"]).toContain(stopped.phase);
    expect(stopped.error).toMatch(/injected crash/);
    // Producers go on while no worker runs it (into whichever place the fences send them).
    await t.write(range, 100);
    const results = await t.runToEnd(id);
    expect(results[results.length - 1]).toMatchObject({ status: "done" });
    const done = await t.migration(id);
    expect(done.attempts).toBeGreaterThanOrEqual(2);
    expect(await t.route(shardletId)).toMatchObject({ hostId: to, epoch: epoch + 2, shadowHostId: null });
    await t.write(range, 50);
    await expectAllOn(to, from);
  });

  it("injected every crash it was asked for", () => {
    expect(fired).toHaveLength(crashCases.length);
  });
});

describe("cancelling before the switch", () => {
  async function cancelIn(setup: (id: string) => void | Promise<void>) {
    const { from, to, epoch } = await otherHost();
    await t.write(range, 150);
    const id = await t.approve(shardletId, to);
    await setup(id);
    const results = await t.runToEnd(id);
    t.hooks.afterStep = undefined;
    expect(results[results.length - 1]).toMatchObject({ status: "cancelled", phase: "cancelled" });
    const m = await t.migration(id);
    expect(m.finishedAt).not.toBeNull();
    // The source keeps the shardlet (the epoch only ever goes up), the destination holds nothing.
    const route = await t.route(shardletId);
    expect(route).toMatchObject({ hostId: from, shadowHostId: null });
    expect([epoch, epoch + 1]).toContain(route.epoch);
    expect(await (await t.h.driver(from)).getFence(shardletId)).toMatchObject({ state: "active", epoch: route.epoch });
    expect(await (await t.h.driver(to)).getFence(shardletId)).toBeNull();
    await t.write(range, 50);
    await expectAllOn(from, to);
    return m;
  }

  const requestCancel = (id: string) => t.h.db.migration.update({ where: { id }, data: { cancelRequested: true } });

  it("approved: nothing is started", async () => {
    const m = await cancelIn((id) => requestCancel(id).then(() => undefined));
    expect(m.rowsCopied).toBe(0);
  });

  it("scheduled for a later window: nothing is started", async () => {
    const { to } = await otherHost();
    const id = await t.approve(shardletId, to, { phase: "scheduled", windowStart: new Date(Date.now() + 3_600_000), windowEnd: new Date(Date.now() + 7_200_000) });
    const paused = await runMigration(t.h.deps, id);
    expect(paused).toMatchObject({ status: "paused", phase: "scheduled" });
    expect(paused.resumeAt).toBeGreaterThan(Date.now() + 3_000_000);
    await requestCancel(id);
    expect(await runMigration(t.h.deps, id)).toMatchObject({ status: "cancelled" });
  });

  it("copying, right after the fences were set", async () => {
    await cancelIn((id) => {
      t.hooks.afterStep = async (step) => {
        if (step === "copy.fences") await requestCancel(id);
      };
    });
  });

  it("copying, mid-copy", async () => {
    const m = await cancelIn((id) => {
      let chunks = 0;
      t.hooks.afterStep = async (step) => {
        if (step === "copy.chunk" && ++chunks === 2) await requestCancel(id);
      };
    });
    expect(m.rowsCopied).toBeGreaterThan(0);
  });

  it("verifying, after a round", async () => {
    await cancelIn((id) => {
      t.hooks.afterStep = async (step) => {
        if (step === "verify.round") await requestCancel(id);
      };
    });
  });

  it.each(["cancel.dest-fence", "cancel.rows"] as const)("a crash after %s: the next run finishes the cancel", async (at) => {
    await cancelIn(async (id) => {
      t.hooks.afterStep = async (step) => {
        if (step === "copy.chunk") await requestCancel(id);
      };
      crash = { kind: "step", at };
      const hooks = t.hooks.afterStep;
      await expect(
        runMigration({ ...t.h.deps, migration: { ...t.h.deps.migration, hooks: { afterStep: async (s, m) => {
          await hooks(s, m);
          if (crash?.kind === "step" && crash.at === s) {
            crash = null;
            throw new Error(`injected crash after step ${s}`);
          }
        } } } }, id),
      ).rejects.toThrow(/injected crash/);
      expect((await t.migration(id)).phase).toMatch(/copying|verifying/);
    });
  });
});
