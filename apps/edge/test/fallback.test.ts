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

/** Batches that waited for a held lock, by how the wait ended (the edge's metrics). */
async function holds(): Promise<{ released: number; ranOut: number }> {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  const count = (outcome: string) => Number(new RegExp(`^shardcast_edge_write_hold_seconds_count\\{outcome="${outcome}"\\} (\\d+)`, "m").exec(text)?.[1] ?? 0);
  return { released: count("released"), ranOut: count("ran_out") };
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

  it("holds a write to a hand-off's shardlet until the lock is let go, then stores it in the shardlet", async () => {
    const key = "held-key";
    const route = (await h.edge.routing.get(h.stream))!.table.route(key);
    const locks = createOpLocks([redis], { prefix: h.prefix, ttlMs: 5_000 });
    const [rowsBefore, overflowBefore, metricsBefore] = await Promise.all([totalRows(h), overflowRows(), holds()]);
    let answered = false;
    const writing = await locks.withOpLock(
      route.id,
      async () => {
        await waitFor("the edge to see the lock", () => h.edge.locks.has(route.id));
        const res = post(h, `/v1/streams/${h.stream}/events`, { events: [{ key, id: "held-1" }, { key: "other-key", id: "held-2" }] });
        void res.finally(() => (answered = true));
        await waitFor("the write to wait for the lock", () => h.edge.locks.waiting > 0);
        expect(answered).toBe(false);
        // Wrapped: an async callback returning the promise itself would wait for it under the lock.
        return { res };
      },
      { holdMs: 4_000 },
    );
    const res = await writing.res;
    expect(res.status).toBe(200);
    // Stored where the routes send it once the lock is gone: nothing went to the overflow log.
    expect(await totalRows(h)).toBe(rowsBefore + 2);
    expect(await overflowRows()).toBe(overflowBefore);
    expect((await holds()).released).toBe(metricsBefore.released + 1);
    await locks.close();
  });

  it("sends a held write to the overflow log when the hold runs out before the lock is let go", async () => {
    const key = "held-too-long";
    const route = (await h.edge.routing.get(h.stream))!.table.route(key);
    const locks = createOpLocks([redis], { prefix: h.prefix, ttlMs: 5_000 });
    const [rowsBefore, overflowBefore, metricsBefore] = await Promise.all([totalRows(h), overflowRows(), holds()]);
    await locks.withOpLock(
      route.id,
      async () => {
        await waitFor("the edge to see the lock", () => h.edge.locks.has(route.id));
        const res = await post(h, `/v1/streams/${h.stream}/events`, { events: [{ key, id: "held-3" }] });
        expect(res.status).toBe(200);
        // Answered while the lock is still held: through the overflow log, as without a hold.
        expect(await overflowRows()).toBe(overflowBefore + 1);
        expect(await totalRows(h)).toBe(rowsBefore);
      },
      // Long enough that the write surely meets the hold (on a busy machine too), short for a test.
      { holdMs: 1_500 },
    );
    expect((await holds()).ranOut).toBe(metricsBefore.ranOut + 1);
    await locks.close();
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
