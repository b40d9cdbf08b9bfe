import type { MigrationPhase } from "@shardcast/core";
import { loadRoutes } from "@shardcast/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { retireExpiredHistory } from "../src/lifecycle/sealed.ts";
import { runMigration } from "../src/migration/machine.ts";
import type { MigrationStep } from "../src/migration/options.ts";
import { runOverflowDrain } from "../src/processors/overflow-drain.ts";
import { exactlyOnceProblems } from "./lifecycle-harness.ts";
import { startMigrationHarness, type MigrationHarness, type RangeFigures } from "./migration-harness.ts";

/**
 * A worker killed at every persisted boundary of a history copy (a hook throws right after the
 * write, as a crash would stop the run there) and a new run started: the copy finishes, the sealed
 * shardlet's history whole on the destination and gone from the source. The sealed shardlet goes
 * back and forth between two hosts, one case after the other, while producers write to its
 * successor on a third. Then a cancel mid-copy and a history that expires mid-copy: the
 * destination is cleaned, the source keeps everything; and a copying move into a host a history
 * copy is filling is refused.
 */

let t: MigrationHarness;
let sealedId: string;
let range: { lo: number; hi: number };
/** The two hosts the history goes between (its host before the hand-off, and the home host). */
let ends: [string, string];
let successorHost: string;
/** The history as it was on its first host: what every copy must carry whole. */
let history: RangeFigures;
let crash: { kind: "phase"; at: MigrationPhase } | { kind: "step"; at: MigrationStep } | null = null;
const fired: string[] = [];

beforeAll(async () => {
  t = await startMigrationHarness({ hosts: 3, shardCount: 1, shardletsPerShard: 2 });
  await t.settings({ chunkRows: 100, verifyRangeRows: 100, cleanupGraceMs: 100, rowsPerSecond: 0 });
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
  const routes = await loadRoutes(t.h.db, t.h.streamId);
  const home = (await t.h.db.shard.findFirstOrThrow({ where: { streamId: t.h.streamId } })).homeHostId;
  const first = routes.find((r) => r.hostId !== home)!;
  sealedId = first.id;
  range = { lo: first.lo, hi: first.hi };
  ends = [first.hostId, home];
  successorHost = t.h.hostIds.find((id) => id !== home && id !== first.hostId)!;
  await t.write(range, 600);
  const handoff = await t.approve(sealedId, successorHost, { mode: "handoff" });
  expect((await t.runToEnd(handoff)).at(-1)).toMatchObject({ status: "done" });
  await runOverflowDrain(t.h.deps, { streamId: t.h.streamId });
  history = await t.onHost(first.hostId, range);
  expect(history.rows).toBeGreaterThan(200);
});

afterAll(async () => {
  await t?.close();
});

async function sealedNow() {
  return t.h.db.shardlet.findUniqueOrThrow({ where: { id: sealedId } });
}

/** The other end from the sealed shardlet's host. */
async function hosts(): Promise<{ from: string; to: string; epoch: number }> {
  const s = await sealedNow();
  expect(s.state).toBe("sealed");
  return { from: s.hostId, to: ends.find((h) => h !== s.hostId)!, epoch: s.epoch };
}

/** The history whole on `on`, none of it on `off`, every acknowledged event stored once. */
async function expectHistoryOn(on: string, off: string) {
  await runOverflowDrain(t.h.deps, { streamId: t.h.streamId });
  expect(await t.onHost(on, range)).toEqual(history);
  expect((await t.onHost(off, range)).rows).toBe(0);
  expect(exactlyOnceProblems(await t.h.check())).toEqual([]);
}

/** The steps a history copy passes (see history-copy.ts). */
const HISTORY_STEPS: MigrationStep[] = [
  "start.control",
  "copy.fences",
  "copy.chunk",
  "verify.round",
  "switch.tail",
  "switch.dest-active",
  "switch.mapped",
  "switch.source-fenced",
  "cleanup.rows",
  "cleanup.fence",
];

const crashCases: Array<{ kind: "phase"; at: MigrationPhase } | { kind: "step"; at: MigrationStep }> = [
  ...(["copying", "verifying", "switching", "cleanup"] as const).map((at) => ({ kind: "phase" as const, at })),
  ...HISTORY_STEPS.map((at) => ({ kind: "step" as const, at })),
];

describe("a worker that dies at any point of a history copy", () => {
  it.each(crashCases)("crash after $kind $at: a new run finishes the copy", async (c) => {
    const { from, to, epoch } = await hosts();
    await t.write(range, 60);
    const id = await t.approve(sealedId, to, { mode: "copy" });
    crash = c;
    await expect(runMigration(t.h.deps, id)).rejects.toThrow(/injected crash/);
    expect(crash).toBeNull();
    const stopped = await t.migration(id);
    expect(["copying", "verifying", "switching", "cleanup"]).toContain(stopped.phase);
    expect(stopped.error).toMatch(/injected crash/);
    // Producers go on while no worker runs it (into the successor).
    await t.write(range, 60);
    const results = await t.runToEnd(id);
    expect(results.at(-1)).toMatchObject({ status: "done" });
    expect((await t.migration(id)).attempts).toBeGreaterThanOrEqual(2);
    expect(await sealedNow()).toMatchObject({ state: "sealed", hostId: to, epoch: epoch + 2 });
    expect(await (await t.h.driver(to)).getFence(sealedId)).toMatchObject({ state: "sealed", epoch: epoch + 2 });
    expect(await (await t.h.driver(from)).getFence(sealedId)).toBeNull();
    await expectHistoryOn(to, from);
  });

  it("injected every crash it was asked for", () => {
    expect(fired).toHaveLength(crashCases.length);
  });
});

describe("giving a history copy up", () => {
  it("a copying move into a host a history copy is filling is refused", async () => {
    const { to } = await hosts();
    const id = await t.approve(sealedId, to, { mode: "copy" });
    crash = { kind: "step", at: "copy.chunk" };
    await expect(runMigration(t.h.deps, id)).rejects.toThrow(/injected crash/);
    const successor = (await loadRoutes(t.h.db, t.h.streamId)).find((r) => r.lo === range.lo && r.hi === range.hi)!;
    const move = await t.approve(successor.id, to, { mode: "copy" });
    expect((await t.runToEnd(move)).at(-1)).toMatchObject({ status: "failed" });
    expect((await t.migration(move)).error).toMatch(new RegExp(`^Failed: refused: history copy ${id} is copying sealed history of this range onto the destination host`));
    expect((await t.route(successor.id)).hostId).toBe(successorHost);
    expect((await t.runToEnd(id)).at(-1)).toMatchObject({ status: "done" });
  });

  it("cancelled mid-copy: the destination is cleaned, the sealed shardlet stays on the source with everything", async () => {
    const { from, to, epoch } = await hosts();
    const id = await t.approve(sealedId, to, { mode: "copy" });
    let chunks = 0;
    t.hooks.afterStep = async (step) => {
      if (step === "copy.chunk" && ++chunks === 2) await t.h.db.migration.update({ where: { id }, data: { cancelRequested: true } });
    };
    const results = await t.runToEnd(id);
    expect(results.at(-1)).toMatchObject({ status: "cancelled", phase: "cancelled" });
    const m = await t.migration(id);
    expect(m.rowsCopied).toBeGreaterThan(0);
    expect(m.error).toBeNull();
    // The start's raise stays (epochs never go down); nothing else changed on the source.
    expect(await sealedNow()).toMatchObject({ state: "sealed", hostId: from, epoch: epoch + 1 });
    expect(await (await t.h.driver(from)).getFence(sealedId)).toMatchObject({ state: "sealed" });
    expect(await (await t.h.driver(to)).getFence(sealedId)).toBeNull();
    await expectHistoryOn(from, to);
  });

  it("its history expires mid-copy: the copy stops and the destination is cleaned", async () => {
    const { from, to } = await hosts();
    const id = await t.approve(sealedId, to, { mode: "copy" });
    let chunks = 0;
    t.hooks.afterStep = async (step) => {
      if (step !== "copy.chunk" || ++chunks !== 2) return;
      // Sealed longer ago than the stream keeps events: the retention sweep retires it.
      await t.h.db.shardlet.update({ where: { id: sealedId }, data: { sealedAt: new Date(Date.now() - 400 * 3_600_000) } });
      expect((await retireExpiredHistory(t.h.deps)).map((s) => s.id)).toEqual([sealedId]);
    };
    const results = await t.runToEnd(id);
    t.hooks.afterStep = undefined;
    expect(results.at(-1)).toMatchObject({ status: "failed" });
    expect((await t.migration(id)).error).toMatch(/^Failed: stopped: its history expired \(the stream's retention has passed since it was sealed at .*\) while it was being copied; the destination was cleaned \(\d+ rows removed this run\)/);
    expect(await sealedNow()).toMatchObject({ state: "retired", hostId: from });
    // The destination holds nothing of it; the source's rows are retention's to drop.
    expect(await (await t.h.driver(to)).getFence(sealedId)).toBeNull();
    expect((await t.onHost(to, range)).rows).toBe(0);
    expect(await t.onHost(from, range)).toEqual(history);
  });
});
