import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Ack } from "./lifecycle-harness.ts";
import { pairChecksum, startMigrationHarness, type MigrationHarness } from "./migration-harness.ts";

/**
 * A switch undone ends its migration before the destination's copy is removed (the removal is
 * paced and may take minutes). Meanwhile the shardlet may be moved to the same host again: that
 * migration's fence, copied rows and, once it switched, the shardlet itself must survive the old
 * migration's removal. The undo is brought about by an event id the destination holds for another
 * shardlet's event, sent just before the switch; the id is removed there before the new move.
 */

let t: MigrationHarness;

beforeAll(async () => {
  t = await startMigrationHarness({ shardCount: 2, shardletsPerShard: 2 });
  await t.settings({ chunkRows: 100, rowsPerSecond: 0, verifyRangeRows: 100, switchTailRows: 50, cleanupGraceMs: 100 });
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

describe("the destination's copy of a migration whose switch was undone", () => {
  it("is removed without touching a later move of the shardlet to the same host", async () => {
    const shardlets = await t.h.db.shardlet.findMany({ where: { streamId: t.h.streamId, state: "active" }, orderBy: { lo: "asc" } });
    const moving = shardlets[0]!;
    const staying = shardlets.find((s) => s.hostId !== moving.hostId)!;
    const range = { lo: Number(moving.lo), hi: Number(moving.hi) };
    await t.write(range, 300, { inRangeShare: 1 });
    const id = t.h.nextId();
    await send(id, { lo: Number(staying.lo), hi: Number(staying.hi) });
    const first = await t.approve(moving.id, staying.hostId);
    let mine: Ack | undefined;
    let second: string | undefined;
    t.hooks.afterPhase = async (phase, m) => {
      if (m.id === first && phase === "switching") mine = await send(id, range);
    };
    t.hooks.afterStep = async (step, m) => {
      if (m.id !== first || step !== "cancel.dest-fence" || second) return;
      // The first migration has ended and dropped its fence; its rows are still being removed.
      expect((await t.migration(first)).phase).toBe("failed");
      const dest = await t.h.driver(staying.hostId);
      // The event and its id (a host records stored ids in sc_event_ids).
      await dest.withClient((c) =>
        c.query("WITH e AS (DELETE FROM sc_events WHERE stream_id = $1 AND event_id = $2) DELETE FROM sc_event_ids WHERE stream_id = $1 AND event_id = $2", [t.h.streamId, id]),
      );
      second = await t.approve(moving.id, staying.hostId);
      expect((await t.runToEnd(second)).at(-1)).toMatchObject({ status: "done" });
    };
    try {
      expect(await t.runToEnd(first)).toEqual([expect.objectContaining({ status: "failed", phase: "failed" })]);
    } finally {
      t.hooks.afterPhase = undefined;
      t.hooks.afterStep = undefined;
    }
    expect(second).toBeDefined();
    const route = await t.route(moving.id);
    expect(route).toMatchObject({ hostId: staying.hostId, epoch: moving.epoch + 4, shadowHostId: null });
    expect(await (await t.h.driver(staying.hostId)).getFence(moving.id)).toMatchObject({ state: "active", epoch: route.epoch });
    const expected = t.expected(range);
    const withMine = pairChecksum([{ seq: mine!.seq, id }]);
    expect(await t.onHost(staying.hostId, range)).toEqual({ rows: expected.rows + 1, checksum: expected.checksum + withMine.checksum });
    expect(await t.onHost(moving.hostId, range)).toEqual({ rows: 0, checksum: 0n });
  });
});
