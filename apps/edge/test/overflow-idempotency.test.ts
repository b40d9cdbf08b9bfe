import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyHash } from "@shardcast/core";
import { createOpLocks, createRedis } from "@shardcast/runtime";
import { waitFor } from "@shardcast/db/testing";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { get, post, startHarness, type Harness } from "./harness.ts";

type Ack = { accepted: number; duplicates: number; events: Array<{ seq: number; shardletId: string; duplicate: boolean }> };

let h: Harness;
const redis = createRedis(testRedisUrl());
beforeAll(async () => {
  h = await startHarness({ stream: "orders", shardCount: 2 });
});
afterAll(async () => {
  await h?.close();
  await redis.quit();
});

async function overflowRows(): Promise<number> {
  let n = 0;
  for (const id of h.hostIds) n += await (await h.hosts.get(id)).countOverflow(h.streamId);
  return n;
}

async function idsFrom(after: number): Promise<string[]> {
  const res = await get(h, `/v1/streams/${h.stream}/events?after=${after}&limit=100`);
  expect(res.status).toBe(200);
  return (res.body.events as Array<{ id: string | null }>).map((e) => e.id ?? "");
}

describe("idempotency ids on the overflow path", () => {
  it("answers a resent id with its original position while the shardlet is locked, and stores one copy", async () => {
    const key = "user-42";
    const first = await post(h, `/v1/streams/${h.stream}/events`, { events: [{ key, id: "order-1", payload: { n: 1 } }] });
    expect(first.status).toBe(200);
    const original = (first.body as Ack).events[0]!;
    expect(original.duplicate).toBe(false);

    const route = (await h.edge.routing.get(h.stream))!.table.lookup(keyHash(key));
    const locks = createOpLocks([redis], { prefix: h.prefix, ttlMs: 10_000 });
    try {
      await locks.withOpLock(route.id, async () => {
        await waitFor("the edge to see the lock", () => h.edge.locks.has(route.id));
        const before = await overflowRows();

        // The producer's retry of a batch the fast path already stored.
        const again = await post(h, `/v1/streams/${h.stream}/events`, { events: [{ key, id: "order-1", payload: { n: 1 } }] });
        expect(again.status).toBe(200);
        const ack = again.body as Ack;
        expect(ack.duplicates).toBe(1);
        expect(ack.events[0]).toMatchObject({ seq: original.seq, duplicate: true });
        expect(await overflowRows()).toBe(before);

        // A new id twice in one overflow batch, then the whole batch again: one row, one position.
        const batch = { events: [{ key, id: "order-2", payload: { n: 2 } }, { key, id: "order-2", payload: { n: 2 } }] };
        const twice = await post(h, `/v1/streams/${h.stream}/events`, batch);
        expect(twice.status).toBe(200);
        const [a, b] = (twice.body as Ack).events;
        expect(a!.duplicate).toBe(false);
        expect(b).toMatchObject({ seq: a!.seq, duplicate: true });
        expect(await overflowRows()).toBe(before + 1);
        const thrice = await post(h, `/v1/streams/${h.stream}/events`, batch);
        expect((thrice.body as Ack).events.map((e) => [e.seq, e.duplicate])).toEqual([
          [a!.seq, true],
          [a!.seq, true],
        ]);
        expect(await overflowRows()).toBe(before + 1);

        // Reads by position, which merge the overflow log with the hosts, deliver each event once.
        const ids = await idsFrom(original.seq - 1);
        expect(ids.filter((id) => id === "order-1")).toHaveLength(1);
        expect(ids.filter((id) => id === "order-2")).toHaveLength(1);
      });
    } finally {
      await locks.close();
    }
  });
});
