import { listMigrationEvents, loadRoutes } from "@shardcast/db";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runOverflowDrain } from "../src/processors/overflow-drain.ts";
import { exactlyOnceProblems } from "./lifecycle-harness.ts";
import { pairChecksum, startMigrationHarness, type MigrationHarness } from "./migration-harness.ts";

/**
 * History copies: a shardlet is handed off (A -> B), then the history it left sealed on A is
 * copied to a third host while producers write to its successor through a real edge and readers
 * read by position and by key. Every acknowledged event is stored exactly once afterwards, every
 * read returned exactly what was acknowledged before it, the sealed shardlet lives on the third
 * host and A holds none of its rows. Then the guard: a history copy whose range is not the sealed
 * shardlet's alone on its source or its destination is refused before anything is written.
 */

let t: MigrationHarness;
let home: string;
let hostA: string;
let hostB: string;
let hostC: string;
let sealedId: string;
let range: { lo: number; hi: number };
let tracked: string[];

beforeAll(async () => {
  // One shard on four hosts: the home host (the overflow log and the other shardlet), A with the
  // shardlet handed off, B and C empty. The history goes to C: not the home host, which readers
  // read anyway (for the overflow log), so reads find the history only where the routes say it is.
  // No read cache: every read goes to the hosts the routes name.
  t = await startMigrationHarness({ hosts: 4, shardCount: 1, shardletsPerShard: 2, readCache: { maxBytes: 0, prefetchBytesPerSec: 0 } });
  await t.settings({ chunkRows: 100, verifyRangeRows: 100, cleanupGraceMs: 300, rowsPerSecond: 2_000 });
  const routes = await loadRoutes(t.h.db, t.h.streamId);
  home = (await t.h.db.shard.findFirstOrThrow({ where: { streamId: t.h.streamId } })).homeHostId;
  const first = routes.find((r) => r.hostId !== home)!;
  sealedId = first.id;
  range = { lo: first.lo, hi: first.hi };
  hostA = first.hostId;
  [hostB, hostC] = t.h.hostIds.filter((id) => id !== home && !routes.some((r) => r.hostId === id)) as [string, string];
  expect(hostC).toBeDefined();
  await t.write(range, 1_200);
  // Keys with history: read by key, their events come from the history host and the successor.
  tracked = [...new Set([...t.h.acked.values()].filter((a) => a.shardletId === sealedId).map((a) => t.keys.get(a.id)!))].slice(0, 3);
  const handoff = await t.approve(sealedId, hostB, { mode: "handoff" });
  expect((await t.runToEnd(handoff)).at(-1)).toMatchObject({ status: "done" });
  await runOverflowDrain(t.h.deps, { streamId: t.h.streamId });
});

afterAll(async () => {
  await t?.close();
});

async function successor(): Promise<{ id: string; hostId: string; historyHostIds: readonly string[] }> {
  const r = (await loadRoutes(t.h.db, t.h.streamId)).find((x) => x.lo === range.lo && x.hi === range.hi)!;
  return { id: r.id, hostId: r.hostId, historyHostIds: r.historyHostIds ?? [] };
}

describe("copying a sealed shardlet's history to another host", () => {
  it("moves every row once while the successor takes writes and reads stay exact; the source ends empty", async () => {
    expect(await successor()).toMatchObject({ hostId: hostB, historyHostIds: [hostA] });
    const before = await t.h.db.shardlet.findUniqueOrThrow({ where: { id: sealedId } });
    expect(before).toMatchObject({ state: "sealed", hostId: hostA });
    const historyOnA = await t.onHost(hostA, range);
    expect(historyOnA.rows).toBeGreaterThan(500);

    expect(tracked).toHaveLength(3);
    let current: string | null = null;
    const producing = t.produceWhile(range, { producers: 2, tracked });
    const reading = t.readWhile(() => current, tracked);
    // Two reads in each phase (the second starts inside it), and two once the source's rows are gone.
    t.hooks.afterPhase = async (phase) => {
      if (["copying", "verifying", "switching", "cleanup"].includes(phase)) await reading.waitForReads(2);
    };
    t.hooks.afterStep = async (step) => {
      if (step === "cleanup.rows") await reading.waitForReads(2);
    };
    await reading.waitForReads(1);
    const id = await t.approve(sealedId, hostC, { mode: "copy" });
    current = id;
    const results = await t.runToEnd(id);
    t.hooks.afterPhase = undefined;
    t.hooks.afterStep = undefined;
    await reading.waitForReads(2);
    const produced = await producing.stop();
    const reads = await reading.stop();
    current = null;

    expect(results.at(-1)).toMatchObject({ status: "done", phase: "done" });
    expect(produced).toBeGreaterThan(0);
    // Progress as the console shows it: every row of the range counted, copied at a measured rate.
    const m = await t.migration(id);
    expect(m).toMatchObject({ mode: "copy", phase: "done", rowsTotal: historyOnA.rows, rowsCopied: historyOnA.rows });
    expect(m.copyRate).toBeGreaterThan(0);
    expect(m.copyTarget).toBeGreaterThan(0);

    // The sealed shardlet lives on C now (two epoch raises: copy and switch), its fence sealed there
    // and gone from A; the successor's route reads its history there.
    const after = await t.h.db.shardlet.findUniqueOrThrow({ where: { id: sealedId } });
    expect(after).toMatchObject({ state: "sealed", hostId: hostC, epoch: before.epoch + 2 });
    expect(await (await t.h.driver(hostC)).getFence(sealedId)).toMatchObject({ state: "sealed", epoch: before.epoch + 2 });
    expect(await (await t.h.driver(hostA)).getFence(sealedId)).toBeNull();
    expect(await successor()).toMatchObject({ hostId: hostB, historyHostIds: [hostC] });

    // A holds none of the range's rows; C holds exactly what A held.
    expect((await t.onHost(hostA, range)).rows).toBe(0);
    expect(await t.onHost(hostC, range)).toEqual(historyOnA);

    // Every acknowledged event of the range exactly once: its history on C, the rest on B.
    await runOverflowDrain(t.h.deps, { streamId: t.h.streamId });
    const onC = await t.onHost(hostC, range);
    const onB = await t.onHost(hostB, range);
    expect({ rows: onC.rows + onB.rows, checksum: onC.checksum + onB.checksum }).toEqual(t.expected(range));
    expect(exactlyOnceProblems(await t.h.check())).toEqual([]);

    // Reads were exact in every phase, and after the source's rows were gone.
    expect(reads.problems).toEqual([]);
    for (const phase of ["copying", "verifying", "switching", "cleanup"] as const) expect(reads.byPhase[phase] ?? 0, phase).toBeGreaterThan(0);
    for (const [seq, eventId] of reads.returned) expect(t.h.acked.get(eventId)?.seq, `returned ${eventId}`).toBe(seq);
    const { byPosition } = await t.h.read();
    expect(pairChecksum(byPosition.map((e) => ({ seq: e.seq, id: e.id! })))).toEqual(pairChecksum(t.h.acked.values()));

    // A re-send of an id of the history is answered with its first position: the write path looks it up on the new host.
    const old = [...t.h.acked.values()].find((a) => a.shardletId === sealedId)!;
    const [again] = await t.h.produce([{ key: t.keys.get(old.id)!, id: old.id }]);
    expect(again!.seq).toBe(old.seq);
    expect(exactlyOnceProblems(await t.h.check())).toEqual([]);

    const log = await listMigrationEvents(t.h.db, id);
    expect(log.some((e) => e.message.startsWith("History copy started"))).toBe(true);
    expect(log.some((e) => /^Verified sequences \(0, \d+\]: \d+ rows in \d+ ranges match/.test(e.message))).toBe(true);
    const ops = await t.h.db.operation.findMany({ where: { kind: "shardlet.migrate", status: "succeeded", shardletId: sealedId } });
    const op = ops.find((o) => (o.details as { migrationId?: string } | null)?.migrationId === id);
    expect(op?.message).toMatch(/^moved shardlet \S+ \[\d+, \d+\) from host \S+ to host \S+ \(its sealed history\): Done: \d+ rows of sealed history copied, source cleaned/);
  }, 120_000);

  it("refuses a range that is not the sealed shardlet's alone on its source or its destination, and writes nothing", async () => {
    // The sealed shardlet is on C; its successor takes the writes on B.
    const figures = async () => Promise.all(t.h.hostIds.map((h) => t.onHost(h, range)));
    const refuse = async (shardletId: string, to: string, why: RegExp) => {
      const s = await t.h.db.shardlet.findUniqueOrThrow({ where: { id: shardletId } });
      const held = await figures();
      const id = await t.approve(shardletId, to, { mode: "copy" });
      expect((await t.runToEnd(id)).at(-1)).toMatchObject({ status: "failed" });
      const m = await t.migration(id);
      expect(m.error).toMatch(why);
      expect(m.error).toMatch(/nothing had been copied/);
      // Nothing moved, nothing was fenced or written on the destination.
      expect(await t.h.db.shardlet.findUniqueOrThrow({ where: { id: shardletId } })).toMatchObject({ state: "sealed", hostId: s.hostId, epoch: s.epoch });
      expect(await (await t.h.driver(to)).getFence(shardletId)).toBeNull();
      expect(await figures()).toEqual(held);
    };

    // The destination holds the routed successor of the range.
    const next = await successor();
    await refuse(sealedId, hostB, /^Failed: refused: on the destination host test-host-\d, shardlet \S+ \[\d+, \d+\) of the stream overlaps the range and lives there/);

    // Hand the successor off to C: C now holds the first sealed shardlet and the new successor
    // (routed), B the second sealed shardlet.
    const back = await t.approve(next.id, hostC, { mode: "handoff" });
    expect((await t.runToEnd(back)).at(-1)).toMatchObject({ status: "done" });
    await runOverflowDrain(t.h.deps, { streamId: t.h.streamId });
    // The source holds another shardlet of the range (the routed successor).
    await refuse(sealedId, hostA, /^Failed: refused: on the source host test-host-\d, shardlet \S+ \[\d+, \d+\) of the stream overlaps the range and lives there/);
    // The destination holds sealed history of the range.
    await refuse(next.id, hostC, /^Failed: refused: on the destination host test-host-\d, (sealed )?shardlet \S+ \[\d+, \d+\) of the stream overlaps the range and lives there/);
    expect(exactlyOnceProblems(await t.h.check())).toEqual([]);
  }, 120_000);
});
