import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshCursor, joinCursors, type Cursor } from "@shardcast/core";
import { ensureConsumerGroup, getDurableCheckpoints, listCheckpointLog, saveCheckpoints, type ControlDb } from "../src/index.ts";
import { createTestCluster, type TestCluster } from "../src/testing.ts";

// A zone far from UTC: the plain-SQL read must not read the stored UTC times in the process's zone.
process.env.TZ = "America/Los_Angeles";

let cluster: TestCluster;
let db: ControlDb;
let groupId: string;
beforeAll(async () => {
  cluster = await createTestCluster({ hosts: 1, stream: "orders", shardCount: 1, shardletsPerShard: 1 });
  db = cluster.db;
  groupId = (await ensureConsumerGroup(db, { streamId: cluster.streamId, name: "billing", startSeq: 0 })).id;
});
afterAll(() => cluster?.drop());

const write = (shardletId: string, cursor: Cursor) => ({ shardletId, cursor, trigger: "predicted", reason: "test", eventsSince: 1, predictedReplaySec: 1 });

describe("durable checkpoints", () => {
  it("never move a cursor back, also one part of a merged cursor", async () => {
    const merged = joinCursors(freshCursor(0, 100, 80), freshCursor(100, 200, 40));
    const at = new Date(Date.UTC(2026, 5, 1, 12, 0, 0, 123));
    expect(await saveCheckpoints(db, groupId, [write("m", merged)], at)).toEqual(["m"]);
    const stored = (await getDurableCheckpoints(db, groupId, ["m"])).get("m");
    expect(stored).toEqual({ groupId, shardletId: "m", cursor: merged, position: 40, at: at.getTime() });

    // Ahead on one part, behind on the other: the part behind keeps its stored position.
    expect(await saveCheckpoints(db, groupId, [write("m", freshCursor(0, 200, 60))])).toEqual(["m"]);
    expect((await getDurableCheckpoints(db, groupId, ["m"])).get("m")!.cursor).toEqual([
      { lo: 0, hi: 100, after: 80 },
      { lo: 100, hi: 200, after: 60 },
    ]);

    // Behind everywhere (a Redis that came back older): nothing is written, nothing logged.
    const logged = (await listCheckpointLog(db, { groupId, limit: 100 })).length;
    expect(await saveCheckpoints(db, groupId, [write("m", freshCursor(0, 200, 0))])).toEqual([]);
    const after = (await getDurableCheckpoints(db, groupId, ["m"])).get("m")!;
    expect([after.position, after.cursor]).toEqual([60, [{ lo: 0, hi: 100, after: 80 }, { lo: 100, hi: 200, after: 60 }]]);
    expect((await listCheckpointLog(db, { groupId, limit: 100 })).length).toBe(logged);
  });

  it("keep the furthest of concurrent writers", async () => {
    const ids = ["c1", "c2", "c3"];
    // Each shardlet is written by three jobs at once, the furthest first.
    await Promise.all([90, 30, 60].map((after) => saveCheckpoints(db, groupId, ids.map((id) => write(id, freshCursor(0, 100, after))))));
    const stored = await getDurableCheckpoints(db, groupId, ids);
    expect(ids.map((id) => stored.get(id)?.position)).toEqual([90, 90, 90]);
  });

  it("skip a shardlet the group no longer has when asked to", async () => {
    const g = (await ensureConsumerGroup(db, { streamId: cluster.streamId, name: "retiring", startSeq: 0 })).id;
    await db.consumerAssignment.create({ data: { groupId: g, shardletId: "held", generation: 1 } });
    // "gone" was retired by a reconcile after the job read the assignments.
    expect(await saveCheckpoints(db, g, [write("held", freshCursor(0, 100, 5)), write("gone", freshCursor(100, 200, 5))], new Date(), { assignedOnly: true })).toEqual(["held"]);
    expect([...(await getDurableCheckpoints(db, g)).keys()]).toEqual(["held"]);
  });

  it("read the same inside a transaction", async () => {
    const outside = await getDurableCheckpoints(db, groupId);
    const [inside, some] = await db.$transaction(async (tx) => [await getDurableCheckpoints(tx as ControlDb, groupId), await getDurableCheckpoints(tx as ControlDb, groupId, ["m", "c2"])]);
    expect(inside).toEqual(outside);
    expect(outside.size).toBe(4);
    expect(some).toEqual(new Map([...outside].filter(([id]) => id === "m" || id === "c2")));
    expect(await getDurableCheckpoints(db, groupId, [])).toEqual(new Map());
  });
});
