import { keyHash } from "@shardcast/core";
import { listMigrationEvents, loadRoutes } from "@shardcast/db";
import { waitFor } from "@shardcast/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runOverflowDrain } from "../src/processors/overflow-drain.ts";
import { exactlyOnceProblems } from "./lifecycle-harness.ts";
import { pairChecksum, startMigrationHarness, type MigrationHarness } from "./migration-harness.ts";

/**
 * Hand-off moves: a shardlet's write load moves to another host while producers write through a
 * real edge and readers read by position and by key. Nothing is copied: the source is sealed with
 * its history, the successor takes the writes, and every read returns exactly what was
 * acknowledged before it, from both hosts. Then the range is handed back (A -> B -> A), and an id
 * stored before the hand-off is re-sent afterwards: it is answered with its first position.
 */

let t: MigrationHarness;
let current: string | null = null;

beforeAll(async () => {
  // One shard on three hosts: its home host holds the overflow log, another holds a shardlet, the
  // third nothing. Handing the non-home shardlet off to the empty host leaves its old host holding
  // nothing but the range's history, so reads find those rows only through the route's history hosts.
  // Two edges, as deployed: producers and readers take turns over them, so a write or read meets an
  // edge that did not serve the one before it.
  t = await startMigrationHarness({ hosts: 3, shardCount: 1, shardletsPerShard: 2, edges: 2 });
});

afterAll(async () => {
  await t?.close();
});

async function handOff(shardletId: string, destHostId: string, tracked: string[]) {
  const route = await t.route(shardletId);
  const range = { lo: route.lo, hi: route.hi };
  const producing = t.produceWhile(range, { producers: 2, tracked });
  const reading = t.readWhile(() => current, tracked);
  // Reads are waited for inside the lock window (fenced, successor prepared) and right after the switch.
  t.h.deps.lifecycle = {
    ...t.h.deps.lifecycle,
    hooks: {
      afterPhase: async (phase) => {
        if (phase === "moving" || phase === "switching" || phase === "draining") await reading.waitForReads(1);
      },
    },
  };
  await reading.waitForReads(1);
  const id = await t.approve(shardletId, destHostId, { mode: "handoff" });
  current = id;
  const shadowWritten = () => t.h.edges.reduce((n, e) => n + e.shadowWrites.written, 0);
  const copiedBefore = shadowWritten();
  const results = await t.runToEnd(id);
  t.h.deps.lifecycle = { ...t.h.deps.lifecycle, hooks: {} };
  await reading.waitForReads(2);
  const produced = await producing.stop();
  const reads = await reading.stop();
  current = null;
  return { id, range, results, produced, reads, shadowWrites: shadowWritten() - copiedBefore };
}

describe("handing a shardlet's write load off to another host", () => {
  it("seals it with its history where it is, opens a successor on the destination, and reads stay exact, there and back", async () => {
    const routes = await loadRoutes(t.h.db, t.h.streamId);
    const home = (await t.h.db.shard.findFirstOrThrow({ where: { streamId: t.h.streamId } })).homeHostId;
    const first = routes.find((r) => r.hostId !== home)!;
    const range = { lo: first.lo, hi: first.hi };
    const hostA = first.hostId;
    const hostB = t.h.hostIds.find((id) => id !== home && !routes.some((r) => r.hostId === id))!;
    expect(hostB).toBeDefined();
    await t.write(range, 1_200);
    const beforeOnA = await t.onHost(hostA, range);
    const tracked = [t.h.keyIn(range.lo, range.hi), t.h.keyIn(range.lo, range.hi), t.h.keyIn(range.lo, range.hi)];

    const there = await handOff(first.id, hostB, tracked);
    expect(there.results.at(-1)).toMatchObject({ status: "done", phase: "done" });
    expect(there.produced).toBeGreaterThan(0);
    // No history moved: no shadow write, no copied row; the source still holds every row it had.
    expect(there.shadowWrites).toBe(0);
    const m = await t.migration(there.id);
    expect(m).toMatchObject({ mode: "handoff", phase: "done", rowsCopied: 0 });
    const onA = await t.onHost(hostA, range);
    expect(onA.rows).toBeGreaterThanOrEqual(beforeOnA.rows);

    // The predecessor is sealed on A (control row and fence); its successor is routed to B with A as history.
    const sealed = await t.h.db.shardlet.findUniqueOrThrow({ where: { id: first.id } });
    expect(sealed).toMatchObject({ state: "sealed", hostId: hostA, writeRate: 0 });
    expect(sealed.sealedAt).not.toBeNull();
    expect(await (await t.h.driver(hostA)).getFence(first.id)).toMatchObject({ state: "sealed" });
    const successor = (await loadRoutes(t.h.db, t.h.streamId)).find((r) => r.lo === range.lo && r.hi === range.hi)!;
    expect(successor).toMatchObject({ hostId: hostB, state: "active", historyHostIds: [hostA] });
    expect((await t.h.db.shardlet.findUniqueOrThrow({ where: { id: successor.id } })).parentId).toBe(first.id);

    // Every acknowledged event of the range exactly once, on A (before the seal) or B (after).
    await runOverflowDrain(t.h.deps, { streamId: t.h.streamId });
    const onB = await t.onHost(hostB, range);
    expect(onB.rows).toBeGreaterThan(0);
    expect({ rows: onA.rows + onB.rows, checksum: (await t.onHost(hostA, range)).checksum + onB.checksum }).toEqual(t.expected(range));
    expect(exactlyOnceProblems(await t.h.check())).toEqual([]);
    expect(there.reads.problems).toEqual([]);
    for (const [seq, eventId] of there.reads.returned) expect(t.h.acked.get(eventId)?.seq, `returned ${eventId}`).toBe(seq);

    // A re-send of an id stored on A before the hand-off is answered with its first position, not stored on B.
    const old = [...t.h.acked.values()].find((a) => a.shardletId === first.id)!;
    const key = t.keys.get(old.id)!;
    const [again] = await t.h.produce([{ key, id: old.id }]);
    expect(again!.seq).toBe(old.seq);
    expect(exactlyOnceProblems(await t.h.check())).toEqual([]);

    // The migration's log and the operations log say what happened.
    const log = await listMigrationEvents(t.h.db, there.id);
    expect(log.some((e) => e.message.startsWith("Hand-off started"))).toBe(true);
    const op = await t.h.db.operation.findFirst({ where: { kind: "shardlet.handoff", status: "succeeded", shardletId: first.id } });
    expect(op?.message).toContain("no row copied");

    // And back: B's rows stay on B as history, the range writes on A again, A's old history is still read.
    const back = await handOff(successor.id, hostA, tracked);
    expect(back.results.at(-1)).toMatchObject({ status: "done", phase: "done" });
    const third = (await loadRoutes(t.h.db, t.h.streamId)).find((r) => r.lo === range.lo && r.hi === range.hi)!;
    expect(third).toMatchObject({ hostId: hostA, historyHostIds: [hostB] });
    await runOverflowDrain(t.h.deps, { streamId: t.h.streamId });
    const a2 = await t.onHost(hostA, range);
    const b2 = await t.onHost(hostB, range);
    expect({ rows: a2.rows + b2.rows, checksum: a2.checksum + b2.checksum }).toEqual(t.expected(range));
    expect(exactlyOnceProblems(await t.h.check())).toEqual([]);
    expect(back.reads.problems).toEqual([]);
    // Reading the whole range by position after it all: every acknowledged event, once.
    const { byPosition } = await t.h.read();
    expect(pairChecksum(byPosition.map((e) => ({ seq: e.seq, id: e.id! })))).toEqual(pairChecksum(t.h.acked.values()));
  }, 120_000);

  it("holds the range's writes at the edges for the switch: none goes through the overflow log", async () => {
    const routes = await loadRoutes(t.h.db, t.h.streamId);
    const home = (await t.h.db.shard.findFirstOrThrow({ where: { streamId: t.h.streamId } })).homeHostId;
    const source = routes.find((r) => r.hostId !== home)!;
    const range = { lo: source.lo, hi: source.hi };
    const dest = t.h.hostIds.find((id) => id !== source.hostId)!;
    const overflowBefore = await (await t.h.driver(home)).countOverflow(t.h.streamId);
    // Long enough that only a hold that never ends sends a write to the overflow log on a slow machine.
    t.h.deps.lifecycle = {
      ...t.h.deps.lifecycle,
      handoffHoldMs: 5_000,
      hooks: {
        // With the source fenced, a write to the range waits at an edge (and is not refused or logged).
        afterStep: async (phase) => {
          if (phase === "fenced") await waitFor("a write held at an edge", () => t.h.edges.some((e) => e.locks.waiting > 0));
        },
      },
    };
    const producing = t.produceWhile(range, { producers: 2 });
    try {
      await waitFor("writes to the range", () => t.h.acked.size > 0);
      const id = await t.approve(source.id, dest, { mode: "handoff" });
      const results = await t.runToEnd(id);
      expect(results.at(-1)).toMatchObject({ status: "done", phase: "done" });
    } finally {
      t.h.deps.lifecycle = { ...t.h.deps.lifecycle, handoffHoldMs: undefined, hooks: {} };
    }
    expect(await producing.stop()).toBeGreaterThan(0);
    const job = await t.h.db.lifecycleJob.findFirstOrThrow({ where: { kind: "handoff", sourceIds: { has: source.id } } });
    expect(Number(job.drained)).toBe(0);
    expect(await (await t.h.driver(home)).countOverflow(t.h.streamId)).toBe(overflowBefore);
    const successor = (await loadRoutes(t.h.db, t.h.streamId)).find((r) => r.lo === range.lo && r.hi === range.hi)!;
    expect(successor.hostId).toBe(dest);
    expect((await t.onHost(dest, range)).rows).toBeGreaterThan(0);
    expect(exactlyOnceProblems(await t.h.check())).toEqual([]);
  }, 60_000);

  it("settles an overflow row a sweep stored in a shardlet that was handed off before the row was marked drained", async () => {
    const routes = await loadRoutes(t.h.db, t.h.streamId);
    const route = routes.find((r) => !r.historyHostIds?.length) ?? routes[0]!;
    const shard = await t.h.db.shard.findUniqueOrThrow({ where: { id: route.shardId } });
    const home = await t.h.driver(shard.homeHostId);
    const dest = t.h.hostIds.find((id) => id !== route.hostId)!;
    // A row acknowledged through the overflow log, which a sweep wrote into the shardlet and stopped
    // before marking it drained in the log.
    const key = t.h.keyIn(route.lo, route.hi);
    const id = t.h.nextId();
    const payloadJson = JSON.stringify({ n: id });
    const seq = 900_200_001;
    const event = { seq, key, keyHash: keyHash(key), id, type: "t", ts: Date.now(), payloadJson, sizeBytes: payloadJson.length + key.length };
    await home.appendOverflow({ streamId: t.h.streamId, parts: [{ shardId: shard.id, shardletId: route.id, events: [event] }] });
    const [written] = await (await t.h.driver(route.hostId)).drainWrite({ streamId: t.h.streamId, parts: [{ shardletId: route.id, epoch: route.epoch, events: [event] }] });
    expect(written).toMatchObject({ ok: true, inserted: 1 });
    t.h.acked.set(id, { id, seq, shardletId: route.id });
    t.keys.set(id, key);

    // The hand-off's drain finds the row already stored where the range's history now lives: it is
    // settled there, not written into the successor a second time.
    const m = await t.approve(route.id, dest, { mode: "handoff" });
    expect((await t.runToEnd(m)).at(-1)).toMatchObject({ status: "done" });
    await runOverflowDrain(t.h.deps, { streamId: t.h.streamId });
    expect(exactlyOnceProblems(await t.h.check())).toEqual([]);
  }, 60_000);
});
