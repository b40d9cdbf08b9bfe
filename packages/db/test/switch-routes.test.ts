import type { ShardletRoute } from "@shardcast/core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createPendingShardlets, loadRoutes, switchShardlets, type ControlDb } from "../src/index.ts";
import { createTestCluster, type TestCluster } from "../src/testing.ts";

/**
 * The routes a switch answers are sent to every edge in place of their own reload, and a write
 * looks a producer's id up on the hosts they name as history: they must be what `loadRoutes`
 * reads once the switch committed, flags and history hosts included.
 */

let cluster: TestCluster;
let db: ControlDb;
beforeAll(async () => {
  cluster = await createTestCluster({ hosts: 3, stream: "switched", shardCount: 1, shardletsPerShard: 1 });
  db = cluster.db;
});
afterAll(() => cluster?.drop());

let n = 0;
async function pending(from: ShardletRoute, hostId: string, lo = from.lo, hi = from.hi): Promise<string> {
  const id = `${from.id}-c${++n}`;
  await createPendingShardlets(db, [{ id, streamId: from.streamId, shardId: from.shardId, lo, hi, hostId, capacityBytes: 1 << 20, epoch: 1, parentId: from.id }]);
  return id;
}

/** The switch's answer against what an edge would read now, for the same shardlets. */
async function expectAsLoaded(answered: ShardletRoute[]): Promise<void> {
  const loaded = await loadRoutes(db, cluster.streamId, answered.map((r) => r.id));
  expect(answered.length).toBeGreaterThan(0);
  expect(answered).toEqual(loaded);
  // The whole stream's routes hold the same objects for them.
  const all = await loadRoutes(db, cluster.streamId);
  for (const r of answered) expect(all.find((x) => x.id === r.id)).toEqual(r);
}

describe("switchShardlets answers the children's routes", () => {
  it("as loadRoutes reads them, through hand-offs to and fro and a split", async () => {
    const [a, b, c] = cluster.hostIds as [string, string, string];
    const [first] = await loadRoutes(db, cluster.streamId);
    expect(first!.hostId).toBe(a);

    // Hand-off a -> b: the sealed source's host is the successor's history.
    const s1 = await pending(first!, b);
    const r1 = await switchShardlets(db, { activate: [s1], retire: [], seal: [first!.id] });
    expect(r1).toMatchObject([{ id: s1, hostId: b, state: "active", overflowPending: true, historyHostIds: [a] }]);
    await expectAsLoaded(r1);

    // Hand-off b -> a: history on a is the successor's own host (not listed); b's, sealed by this statement, is.
    const s2 = await pending(r1[0]!, a);
    const r2 = await switchShardlets(db, { activate: [s2], retire: [], seal: [s1] });
    expect(r2[0]!.historyHostIds).toEqual([b]);
    await expectAsLoaded(r2);

    // A split on a into children on c: both ranges have history on a and b.
    const mid = Math.floor((r2[0]!.lo + r2[0]!.hi) / 2);
    const left = await pending(r2[0]!, c, r2[0]!.lo, mid);
    const right = await pending(r2[0]!, c, mid, r2[0]!.hi);
    const r3 = await switchShardlets(db, { activate: [left, right], retire: [s2] });
    expect(r3.map((r) => [r.id, r.historyHostIds])).toEqual([
      [left, [a, b]],
      [right, [a, b]],
    ]);
    await expectAsLoaded(r3);

    // Repeated (a run resumed after the switch committed): the same answer.
    const again = await switchShardlets(db, { activate: [left, right], retire: [s2] });
    expect(again).toEqual(r3);
  });
});
