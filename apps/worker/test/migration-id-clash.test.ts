import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { Ack } from "./lifecycle-harness.ts";
import { pairChecksum, startMigrationHarness, type MigrationHarness } from "./migration-harness.ts";

/**
 * One event id sent under two keys whose shardlets live on two hosts: each host stores an event id
 * once per stream (its unique index), so ingest stores both, at two positions, and acknowledges
 * both as new events. Moving either shardlet onto the other's host cannot keep both: the copy (or
 * a shadow write) skips the row, and re-copying never changes that. The migration must fail at
 * once, saying why, with the source keeping every event and the destination's own event intact,
 * not re-copy until it is given up many runs later. Whether the id arrives before the copy, during
 * it (a skipped shadow write) or just before the switch (found in the tail, under the lock).
 */

interface Placed {
  id: string;
  hostId: string;
  range: { lo: number; hi: number };
}

let t: MigrationHarness;
/** Shardlets of one host, one per case (a clash keeps blocking its shardlet's move), and one of the other host. */
let movers: Placed[];
let moving: Placed;
let staying: Placed;

beforeAll(async () => {
  t = await startMigrationHarness({ shardCount: 2, shardletsPerShard: 4 });
  await t.settings({ chunkRows: 100, rowsPerSecond: 0, verifyRangeRows: 100, switchTailRows: 50, cleanupGraceMs: 100 });
  const shardlets = (await t.h.db.shardlet.findMany({ where: { streamId: t.h.streamId, state: "active" }, orderBy: { lo: "asc" } })).map(
    (s): Placed => ({ id: s.id, hostId: s.hostId, range: { lo: Number(s.lo), hi: Number(s.hi) } }),
  );
  const source = t.h.hostIds.find((h) => shardlets.filter((s) => s.hostId === h).length >= 3)!;
  movers = shardlets.filter((s) => s.hostId === source);
  staying = shardlets.find((s) => s.hostId !== source)!;
});

beforeEach(async () => {
  moving = movers.shift()!;
  await t.write(moving.range, 300, { inRangeShare: 1 });
});

afterAll(async () => {
  await t?.close();
});

/** Sends `id` under a key of `range`; the harness's acknowledgement map keeps one position per id, so it is taken out of it. */
async function send(id: string, range: { lo: number; hi: number }): Promise<Ack> {
  const [ack] = await t.h.produce([{ key: t.h.keyIn(range.lo, range.hi), id }]);
  t.h.acked.delete(id);
  return ack!;
}

async function positionsOf(hostId: string, id: string): Promise<number[]> {
  const d = await t.h.driver(hostId);
  const res = await d.withClient((c) => c.query<{ seq: string }>("SELECT seq FROM sc_events WHERE stream_id = $1 AND event_id = $2 ORDER BY seq", [t.h.streamId, id]));
  return res.rows.map((r) => Number(r.seq));
}

/** Fails in its first run, with the reason; the source keeps the range (and the clashing event), the destination only its own event. */
async function expectRefused(migrationId: string, id: string, held: Ack, clashing: () => Ack | undefined, epoch: number) {
  const results = await t.runToEnd(migrationId);
  expect(results).toHaveLength(1);
  expect(results[0]).toMatchObject({ status: "failed", phase: "failed" });
  const m = await t.migration(migrationId);
  expect(m.attempts).toBe(1);
  expect(m.error).toMatch(new RegExp(`event id "${id}" at sequence \\d+ cannot be stored on the destination host .*: it holds that id at sequence ${held.seq} for a key outside the shardlet's range`));
  const mine = clashing();
  expect(mine).toBeDefined();
  expect(await t.route(moving.id)).toMatchObject({ hostId: moving.hostId, epoch, shadowHostId: null });
  expect(await (await t.h.driver(moving.hostId)).getFence(moving.id)).toMatchObject({ state: "active", epoch });
  expect(await t.onHost(staying.hostId, moving.range)).toEqual({ rows: 0, checksum: 0n });
  expect(await positionsOf(staying.hostId, id)).toEqual([held.seq]);
  expect(await positionsOf(moving.hostId, id)).toEqual([mine!.seq]);
  const expected = t.expected(moving.range);
  const withClash = pairChecksum([{ seq: mine!.seq, id }]);
  expect(await t.onHost(moving.hostId, moving.range)).toEqual({ rows: expected.rows + 1, checksum: expected.checksum + withClash.checksum });
  // The shardlet still takes writes on the source.
  await t.write(moving.range, 20, { inRangeShare: 1 });
  expect((await t.onHost(moving.hostId, moving.range)).rows).toBe(expected.rows + 21);
  t.hooks.afterStep = undefined;
  t.hooks.afterPhase = undefined;
}

describe("an event id the destination holds for another shardlet's event", () => {
  it("before the copy: the move fails at once", async () => {
    const id = t.h.nextId();
    const mine = await send(id, moving.range);
    const held = await send(id, staying.range);
    expect(held.seq).not.toBe(mine.seq);
    const epoch = (await t.route(moving.id)).epoch;
    await expectRefused(await t.approve(moving.id, staying.hostId), id, held, () => mine, epoch + 1);
  });

  it("written during the copy (its shadow write skipped): the verification fails the move at once", async () => {
    const id = t.h.nextId();
    const held = await send(id, staying.range);
    let mine: Ack | undefined;
    t.hooks.afterStep = async (step) => {
      if (step === "copy.chunk" && !mine) mine = await send(id, moving.range);
    };
    const epoch = (await t.route(moving.id)).epoch;
    await expectRefused(await t.approve(moving.id, staying.hostId), id, held, () => mine, epoch + 1);
  });

  it("written just before the switch: the switch is undone and the shardlet reopens on the source", async () => {
    const id = t.h.nextId();
    const held = await send(id, staying.range);
    let mine: Ack | undefined;
    t.hooks.afterPhase = async (phase) => {
      if (phase === "switching") mine = await send(id, moving.range);
    };
    const epoch = (await t.route(moving.id)).epoch;
    await expectRefused(await t.approve(moving.id, staying.hostId), id, held, () => mine, epoch + 2);
  });
});
