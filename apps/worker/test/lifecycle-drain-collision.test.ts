import { keyHash, type ShardletRoute } from "@shardcast/core";
import { loadRoutes, type HostDriver } from "@shardcast/db";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { runOverflowDrain } from "../src/processors/overflow-drain.ts";
import { idChecksum, startLifecycleHarness, type LifecycleHarness } from "./lifecycle-harness.ts";

/**
 * An overflow row whose position already holds a different event on the target host: the drain's
 * write skips it (conflict on the seq), and the row must not count as drained, or the purge would
 * delete the only copy of an acknowledged event.
 */

let h: LifecycleHarness;

beforeAll(async () => {
  h = await startLifecycleHarness({
    hosts: 2,
    shardCount: 1,
    shardletsPerShard: 2,
    // Small chunks: the rows left in the log come back first in every read of their range. No
    // grace period: whatever the drain marks is purged by the same sweep.
    lifecycle: { drainChunkRows: 2, overflowGraceMs: 0 },
  });
});

afterAll(async () => {
  await h?.close();
});

interface LogRow {
  seq: number;
  id: string | null;
  drained: boolean;
}

async function overflowRows(home: HostDriver): Promise<LogRow[]> {
  const res = await home.withClient((c) =>
    c.query<{ seq: string; event_id: string | null; drained: boolean }>(
      "SELECT seq::text AS seq, event_id, drained_at IS NOT NULL AS drained FROM sc_overflow WHERE stream_id = $1 ORDER BY seq",
      [h.streamId],
    ),
  );
  return res.rows.map((r) => ({ seq: Number(r.seq), id: r.event_id, drained: r.drained }));
}

/** Every event a host holds for the stream, in its events or (undrained) in its overflow log. */
async function everyStoredEvent(): Promise<Array<{ seq: number; id: string | null; key: string }>> {
  const out: Array<{ seq: number; id: string | null; key: string }> = [];
  for (const hostId of h.hostIds) {
    const d = await h.driver(hostId);
    const res = await d.withClient((c) =>
      c.query<{ seq: string; event_id: string | null; key: string }>(
        `SELECT seq::text AS seq, event_id, key FROM sc_events WHERE stream_id = $1
         UNION ALL
         SELECT seq::text, event_id, key FROM sc_overflow WHERE stream_id = $1 AND drained_at IS NULL`,
        [h.streamId],
      ),
    );
    out.push(...res.rows.map((r) => ({ seq: Number(r.seq), id: r.event_id, key: r.key })));
  }
  return out;
}

describe("an overflow row whose seq holds another event on the target", () => {
  it("stays in the log, readable, and is reported once per drain run; the rest drains", async () => {
    const routes = await loadRoutes(h.db, h.streamId);
    const target: ShardletRoute = routes[0]!;
    const shard = await h.db.shard.findUniqueOrThrow({ where: { id: target.shardId } });
    const home = await h.driver(shard.homeHostId);
    const driver = await h.driver(target.hostId);
    const key = () => h.keyIn(target.lo, target.hi);

    // Stored on the target through the fast path: "other" takes the position "mine" collides with.
    const sent = [
      { key: key(), id: h.nextId() },
      { key: key(), id: h.nextId() },
    ];
    const [other, first] = await h.produce(sent);
    const mine = { key: key(), id: h.nextId() };
    const anonymous = key();
    const fresh = [h.nextId(), h.nextId()];
    const ts = Date.now();
    const row = (seq: number, k: string, id: string | null, payload: object) => {
      const payloadJson = JSON.stringify(payload);
      return { seq, key: k, keyHash: keyHash(k), id, type: "t", ts, payloadJson, sizeBytes: payloadJson.length + k.length };
    };
    const rows = [
      // Acknowledged while the shardlet was locked, at a position the target already holds.
      row(other!.seq, mine.key, mine.id, { n: "mine" }),
      // Without an id: only its content tells it from the event stored at its position.
      row(first!.seq, anonymous, null, { n: "anonymous" }),
      // A re-send of "first" that reached the log at a new position: a duplicate, deleted.
      row(900_000_001, key(), first!.id, { n: first!.id }),
      row(900_000_002, key(), fresh[0]!, { n: "fresh-0" }),
      row(900_000_003, key(), null, { n: "fresh-anonymous" }),
      row(900_000_004, key(), fresh[1]!, { n: "fresh-1" }),
    ];
    await home.appendOverflow({ streamId: h.streamId, parts: [{ shardId: shard.id, shardletId: target.id, events: rows }] });
    h.acked.set(mine.id, { id: mine.id, seq: other!.seq, shardletId: target.id });
    for (const [i, id] of fresh.entries()) h.acked.set(id, { id, seq: 900_000_002 + 2 * i, shardletId: target.id });

    const errors = vi.spyOn(h.deps.log, "error").mockImplementation(() => undefined);
    const sweep = await runOverflowDrain(h.deps, { streamId: h.streamId });
    expect(sweep.drained).toBe(3);
    // Purged at once (no grace period): only the two rows that hold an event nowhere else remain.
    expect(await overflowRows(home)).toEqual([
      { seq: other!.seq, id: mine.id, drained: false },
      { seq: first!.seq, id: null, drained: false },
    ]);
    const reports = errors.mock.calls.filter(([msg]) => msg.includes("different event"));
    expect(reports).toHaveLength(1);
    const report = reports[0]![1] as { streamId: string; count: number; collisions: unknown[] };
    expect(report.streamId).toBe(h.streamId);
    expect(report.count).toBe(2);
    expect(report.collisions).toEqual([
      { row: { seq: other!.seq, id: mine.id, key: mine.key }, stored: { seq: other!.seq, id: other!.id, key: sent[0]!.key } },
      { row: { seq: first!.seq, id: null, key: anonymous }, stored: { seq: first!.seq, id: first!.id, key: sent[1]!.key } },
    ]);

    // Another sweep keeps them and reports them once more, not once per chunk.
    errors.mockClear();
    expect((await runOverflowDrain(h.deps, { streamId: h.streamId })).drained).toBe(0);
    expect((await overflowRows(home)).map((r) => r.seq)).toEqual([other!.seq, first!.seq]);
    expect(errors.mock.calls.filter(([msg]) => msg.includes("different event"))).toHaveLength(1);
    errors.mockRestore();

    // Every acknowledged event is held once; "mine" is read at its position next to "other".
    const held = await everyStoredEvent();
    const ids = held.flatMap((e) => (e.id === null ? [] : [e.id]));
    expect(ids).toHaveLength(h.acked.size);
    expect(new Set(ids).size).toBe(h.acked.size);
    expect(idChecksum(ids)).toBe(idChecksum(h.acked.keys()));
    expect(held.filter((e) => e.id === null).map((e) => e.key).sort()).toEqual([anonymous, rows[4]!.key].sort());
    const stored = await driver.withClient((c) =>
      c.query<{ n: number }>("SELECT count(*)::int AS n FROM sc_events WHERE stream_id = $1 AND event_id = ANY($2::text[])", [h.streamId, fresh]),
    );
    expect(stored.rows[0]!.n).toBe(2);
    const read = await h.read(mine.key);
    expect(read.byKey.filter((e) => e.id === mine.id)).toEqual([{ seq: other!.seq, id: mine.id, key: mine.key }]);
    expect(read.byPosition.filter((e) => e.seq === other!.seq).map((e) => e.id).sort()).toEqual([mine.id, other!.id].sort());
    expect(read.byPosition.filter((e) => e.seq === first!.seq).map((e) => e.key).sort()).toEqual([anonymous, sent[1]!.key].sort());
  });
});
