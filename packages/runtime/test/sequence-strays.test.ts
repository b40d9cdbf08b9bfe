import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { waitFor } from "@shardcast/core/testing";
import { createRedis } from "../src/redis.ts";
import { SequenceAllocator } from "../src/sequence.ts";
import { ALLOCATE, sequenceKeys } from "../src/sequence-scripts.ts";
import { markStore, withPrivateRedis } from "./sequence-harness.ts";

describe("SequenceAllocator blocks it does not hold", () => {
  it("takes out a block whose allocation reply was lost while the allocator goes on writing, but never one whose reply is on its way", async () => {
    // A server of the test's own: the test pauses it.
    await withPrivateRedis(async ({ client: admin }) => {
      const writer = createRedis(`redis://${admin.options.host}:${admin.options.port}`);
      const prefix = `t-${randomUUID()}`;
      const leaseMs = 500;
      const alloc = new SequenceAllocator(writer, { prefix, reserve: markStore().reserve, step: 1000, leaseMs });
      const k = sequenceKeys(prefix, "s1");
      try {
        const a = await alloc.allocate("s1", 5);
        // What an ALLOCATE whose reply was lost (a timeout, a connection dropped after it ran)
        // leaves: the block in flight under this allocator's lease, the allocator unaware of it.
        const [owner] = await admin.hkeys(k.owners);
        const server = await admin.get(k.server);
        const [lostLo] = (await admin.eval(ALLOCATE, 5, k.counter, k.ceiling, k.inflight, k.owners, k.server, 5, leaseMs, owner!, server!)) as [number, number, string];
        expect(lostLo).toBe(a.hi + 1);

        // An ALLOCATE whose reply is on its way while renewals run: the writer's own pause holds it
        // back (sent after the pause, before the renewals of the next few intervals), then Redis
        // runs it and a renewal that does not know its block yet.
        const paused = writer.call("CLIENT", "PAUSE", String((3 * leaseMs) / 5), "WRITE");
        const onItsWay = alloc.allocate("s1", 5);
        await paused;
        const c = await onItsWay;
        expect(c.lo).toBe(lostLo + 5);

        // Only the lost block is between a's release and c: readers must get past it, never past c.
        await a.release();
        await waitFor(
          "the lost block to be taken out",
          async () => {
            const w = await alloc.watermark("s1");
            expect(w).toBeLessThan(c.lo);
            return w === c.lo - 1;
          },
          10 * leaseMs,
          { intervalMs: 0 },
        );
        // Renewals go on (the lease's deadline moves more than two intervals on); c stays in flight.
        const deadline = Number(await admin.hget(k.owners, owner!));
        await waitFor("two more renewals", async () => Number(await admin.hget(k.owners, owner!)) > deadline + (2 * leaseMs) / 5, 10 * leaseMs);
        expect(await admin.zscore(k.inflight, `${c.lo}:${c.hi}:${owner}`)).toBe(String(c.lo));
        expect(await alloc.watermark("s1")).toBe(c.lo - 1);
        await c.release();
        expect(await alloc.watermark("s1")).toBe(c.hi);
      } finally {
        await alloc.stop();
        writer.disconnect();
      }
    });
  });
});
