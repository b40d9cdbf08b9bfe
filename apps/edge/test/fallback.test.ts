import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyHash } from "@shardcast/core";
import { createOpLocks, createRedis } from "@shardcast/runtime";
import { waitFor } from "@shardcast/db/testing";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { get, post, startHarness, totalRows, type Harness } from "./harness.ts";

let h: Harness;
const redis = createRedis(testRedisUrl());
beforeAll(async () => {
  h = await startHarness({ stream: "clicks", shardCount: 2 });
});
afterAll(async () => {
  await h?.close();
  await redis.quit();
});

async function overflowRows() {
  let n = 0;
  for (const id of h.hostIds) n += await (await h.hosts.get(id)).countOverflow(h.streamId);
  return n;
}

describe("fallback to the shard's overflow log", () => {
  it("sends a locked shardlet's events to the overflow on the shard's home host, acked and readable", async () => {
    const key = "locked-key";
    const entry = (await h.edge.routing.get(h.stream))!;
    const route = entry.table.lookup(keyHash(key));
    const home = entry.shards.get(route.shardId)!.homeHostId;
    const locks = createOpLocks([redis], { prefix: h.prefix, ttlMs: 5_000 });
    const rowsBefore = await totalRows(h);
    await locks.withOpLock(route.id, async () => {
      await waitFor("the edge to see the lock", () => h.edge.locks.has(route.id));
      const res = await post(h, `/v1/streams/${h.stream}/events`, {
        events: [
          { key, id: "fb-1", payload: { n: 1 } },
          { key, id: "fb-2", payload: { n: 2 } },
        ],
      });
      expect(res.status).toBe(200);
      // Stored in the overflow log of the shard's home host, not in the shardlet.
      expect(await (await h.hosts.get(home)).countOverflow(h.streamId)).toBe(2);
      expect(await totalRows(h)).toBe(rowsBefore);
      // Readers see them by key and by position while they wait there.
      const byKey = await get(h, `/v1/streams/${h.stream}/keys/${key}/events`);
      expect((byKey.body.events as Array<{ id: string }>).map((e) => e.id)).toEqual(["fb-1", "fb-2"]);
      const seqs = (res.body.events as Array<{ seq: number }>).map((e) => e.seq);
      const byPos = await get(h, `/v1/streams/${h.stream}/events?after=${seqs[0]! - 1}&limit=10`);
      expect((byPos.body.events as Array<{ seq: number }>).map((e) => e.seq)).toEqual(seqs);
    });
    await locks.close();
    await waitFor("the edge to see the unlock", () => !h.edge.locks.has(route.id));
    // Unlocked: the next write takes the fast path again.
    const res = await post(h, `/v1/streams/${h.stream}/events`, { events: [{ key, id: "fb-3" }] });
    expect(res.status).toBe(200);
    expect(await totalRows(h)).toBe(rowsBefore + 1);
    expect(await overflowRows()).toBe(2);
  });

  it("re-routes to the overflow when a write meets a fence raised for a change", async () => {
    const key = "changing-key";
    const entry = (await h.edge.routing.get(h.stream))!;
    const route = entry.table.lookup(keyHash(key));
    const before = await overflowRows();
    // What a split does first: raise the epoch into a non-active state, behind the edge's back.
    const host = await h.hosts.get(route.hostId);
    await host.setFence(route.id, h.streamId, route.epoch + 1, "splitting");
    await h.db.shardlet.update({ where: { id: route.id }, data: { epoch: route.epoch + 1, state: "splitting" } });
    const res = await post(h, `/v1/streams/${h.stream}/events`, { events: [{ key, id: "fence-fb-1" }] });
    expect(res.status).toBe(200);
    expect(await overflowRows()).toBe(before + 1);
  });
});
