import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getShardletWithHome, listShardletsWithHome, loadRoutes, type ControlDb } from "../src/index.ts";
import { createTestCluster, type TestCluster } from "../src/testing.ts";

/**
 * The migration's start reads its shardlet in plain SQL: it must be the row Prisma reads, every
 * column with its type (bigints, times to the millisecond, nulls), with its shard's home host.
 */

let cluster: TestCluster;
let db: ControlDb;
beforeAll(async () => {
  cluster = await createTestCluster({ hosts: 2, stream: "with-home", shardCount: 2, shardletsPerShard: 2 });
  db = cluster.db;
});
afterAll(() => cluster?.drop());

async function prismaRow(id: string) {
  return db.shardlet.findUnique({ where: { id }, include: { shard: { select: { homeHostId: true } } } });
}

describe("a shardlet with its shard's home host", () => {
  it("is the row Prisma reads, whatever its columns hold", async () => {
    const [a, b, c] = await loadRoutes(db, cluster.streamId);
    // Every nullable column set on one, big counters on another, a plain row on the third.
    await db.shardlet.update({
      where: { id: a!.id },
      data: { state: "sealed", sealedAt: new Date(Date.UTC(2026, 0, 31, 9, 30, 1, 234)), retiredAt: new Date(1_000), parentId: b!.id, mergedFromId: c!.id, overflowPending: true },
    });
    await db.shardlet.update({
      where: { id: b!.id },
      data: { sizeBytes: 2n ** 53n + 7n, eventCount: 9_007_199_254_740_993n, fallbackCount: 12n, writeRate: 1234.5678, readRate: 0.125, epoch: 41 },
    });
    for (const id of [a!.id, b!.id, c!.id]) {
      const expected = await prismaRow(id);
      expect(expected).not.toBeNull();
      expect(await getShardletWithHome(db, id)).toEqual(expected);
    }
    const listed = await listShardletsWithHome(db, [c!.id, a!.id, "no-such-shardlet"]);
    expect(listed.map((r) => r.id).sort()).toEqual([a!.id, c!.id].sort());
    for (const r of listed) expect(r).toEqual(await prismaRow(r.id));
    expect(await getShardletWithHome(db, "no-such-shardlet")).toBeNull();
  });
});
