import { randomUUID } from "node:crypto";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { createRedis } from "../src/redis.ts";
import { SequenceAllocator, type SequenceBlock } from "../src/sequence.ts";
import { testRedisUrl } from "../src/testing/env.ts";
import { waitFor } from "@shardcast/core/testing";
import { markStore, withPrivateRedis } from "./sequence-harness.ts";

const redis = createRedis(testRedisUrl());
afterAll(() => redis.quit());

async function dropPrefix(prefix: string) {
  const keys = await redis.keys(`${prefix}:*`);
  if (keys.length) await redis.del(...keys);
}

/** The watermark once the hold after a re-seed or a takeover has passed: `unavailable` until then, for about one lease. */
async function watermarkAfterHold(reader: SequenceAllocator, streamId: string, leaseMs: number): Promise<number> {
  // The hold is a key's expiry in Redis: nothing announces its end, so it is polled.
  const found = await waitFor(
    "the watermark's hold to end (far past one lease)",
    async () => {
      try {
        return { watermark: await reader.watermark(streamId) };
      } catch (err) {
        expect(err).toMatchObject({ code: "unavailable" });
        return null;
      }
    },
    10 * leaseMs,
    { intervalMs: 50 },
  );
  return found.watermark;
}

describe("SequenceAllocator", () => {
  let prefix: string;
  beforeEach(() => {
    prefix = `t-${randomUUID()}`;
    return () => dropPrefix(prefix);
  });

  it("hands out disjoint, increasing blocks under concurrency and never above the durable mark", async () => {
    const store = markStore();
    const alloc = new SequenceAllocator(redis, { prefix, reserve: store.reserve, step: 100 });
    const sizes = Array.from({ length: 50 }, (_, i) => (i % 7) + 1);
    const blocks = await Promise.all(sizes.map((n) => alloc.allocate("s1", n)));
    const seen = new Set<number>();
    for (const b of blocks) {
      expect(b.hi - b.lo + 1).toBeGreaterThan(0);
      for (let s = b.lo; s <= b.hi; s++) {
        expect(seen.has(s)).toBe(false);
        seen.add(s);
      }
      expect(b.hi).toBeLessThanOrEqual(store.marks.get("s1")!);
    }
    // 197 numbers over a step of 100: the mark was raised more than once.
    expect(seen.size).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(store.calls.length).toBeGreaterThan(1);
  });

  it("re-seeds above every issued number after Redis loses its keys", async () => {
    const store = markStore();
    const alloc = new SequenceAllocator(redis, { prefix, reserve: store.reserve, step: 1000 });
    let maxIssued = 0;
    for (let i = 0; i < 20; i++) maxIssued = (await alloc.allocate("s1", 10)).hi;
    await dropPrefix(prefix); // what a restarted, non-persistent Redis looks like
    const after = await alloc.allocate("s1", 5);
    expect(after.lo).toBeGreaterThan(maxIssued);
  });

  it("holds the watermark below blocks in flight and advances when they are released", async () => {
    const alloc = new SequenceAllocator(redis, { prefix, reserve: markStore().reserve, step: 1000 });
    const a = await alloc.allocate("s1", 10); // 1..10 relative to the seed base
    const b = await alloc.allocate("s1", 10);
    expect(alloc.seenWatermark("s1")).toBeUndefined();
    expect(await alloc.watermark("s1")).toBe(a.lo - 1);
    await b.release();
    expect(await alloc.watermark("s1")).toBe(a.lo - 1);
    await a.release();
    expect(await alloc.watermark("s1")).toBe(b.hi);
    // What an edge's cache answers full pages below without asking Redis.
    expect(alloc.seenWatermark("s1")).toBe(b.hi);
    expect(alloc.seenWatermark("s2")).toBeUndefined();
  });

  it("removes a released block whose removal failed at a later renewal, so the watermark moves on while the allocator keeps writing", async () => {
    await withPrivateRedis(async ({ client: admin }) => {
      // A user whose ZREM can be refused for a moment: the failure a connection blip gives a release.
      await admin.call("ACL", "SETUSER", "seq-writer", "on", ">seq-pw", "~*", "&*", "+@all");
      const writer = createRedis(`redis://seq-writer:seq-pw@${admin.options.host}:${admin.options.port}`);
      try {
        const alloc = new SequenceAllocator(writer, { prefix, reserve: markStore().reserve, step: 1000, leaseMs: 500 });
        const a = await alloc.allocate("s1", 10);
        const b = await alloc.allocate("s1", 10);
        await b.release();
        await admin.call("ACL", "SETUSER", "seq-writer", "-zrem");
        await expect(a.release()).rejects.toThrow(/NOPERM|permission/i);
        await admin.call("ACL", "SETUSER", "seq-writer", "+zrem");
        // The allocator goes on writing (a block held keeps its lease renewed), as a busy edge does.
        const c = await alloc.allocate("s1", 10);
        await waitFor("the failed release to be retried", async () => (await alloc.watermark("s1")) === c.lo - 1, 5_000);
        expect(c.lo - 1).toBe(b.hi);
        await c.release();
        await alloc.stop();
      } finally {
        writer.disconnect();
      }
    });
  });

  it("re-seeds a lost counter only with a reservation made after the loss: one begun before it may lie below numbers already written", async () => {
    const marks = new Map<string, number>();
    let gate: Promise<void> | null = null;
    let open = () => undefined as void;
    const reserve = (slowOnce: boolean) => async (streamId: string, atLeast: number, step: number) => {
      const next = Math.max(marks.get(streamId) ?? 0, atLeast) + step;
      marks.set(streamId, next);
      // Durable at once, answered late: the reservation of a writer whose answer is slow.
      if (slowOnce && gate) {
        const g = gate;
        gate = null;
        await g;
      }
      return next;
    };
    const a = new SequenceAllocator(redis, { prefix, reserve: reserve(true), step: 100 });
    const b = new SequenceAllocator(redis, { prefix, reserve: reserve(false), step: 100 });
    await (await a.allocate("s1", 100)).release(); // 1..100: a's reservation is used up
    gate = new Promise<void>((resolve) => (open = resolve));
    const aNext = a.allocate("s1", 1); // runs out and reserves (100, 200], answered late
    await waitFor("a's reservation to be made", () => gate === null);
    const bBlock = await b.allocate("s1", 10); // b reserves (200, 300] and writes 201..210
    await bBlock.release();
    expect(await b.watermark("s1")).toBe(bBlock.hi);
    await dropPrefix(prefix); // Redis loses its data
    open();
    const aBlock = await aNext;
    // Not from (100, 200]: readers already read past 210 would never see those events.
    expect(aBlock.lo).toBeGreaterThan(bBlock.hi);
    await aBlock.release();
    expect(await watermarkAfterHold(b, "s1", 5_000)).toBeGreaterThanOrEqual(aBlock.hi);
  });

  it("never hands out a number twice when Redis loses its data between the counter and the reservation", async () => {
    await withPrivateRedis(async ({ client: privateRedis }) => {
      // Both allocators share one durable mark, as two edges share the control database.
      const store = markStore();
      const second = new SequenceAllocator(privateRedis, { prefix, reserve: store.reserve, step: 10 });
      let secondBlock: SequenceBlock | null = null;
      let reservations = 0;
      const first = new SequenceAllocator(privateRedis, {
        prefix,
        step: 10,
        reserve: async (streamId, atLeast, step) => {
          // The first allocator's second reservation: its first 10 numbers are used up. Redis
          // restarts empty right here, and the other allocator re-seeds from the old mark.
          if (++reservations === 2) {
            await privateRedis.flushall();
            secondBlock = await second.allocate(streamId, 4);
          }
          return store.reserve(streamId, atLeast, step);
        },
      });
      const a = await first.allocate("s1", 8);
      const b = await first.allocate("s1", 5);
      expect(reservations).toBe(2);
      const blocks = [a, b, secondBlock!];
      for (const x of blocks) {
        for (const y of blocks) {
          if (x === y) continue;
          expect(x.hi < y.lo || y.hi < x.lo, `blocks ${x.lo}..${x.hi} and ${y.lo}..${y.hi} overlap`).toBe(true);
        }
      }
      await Promise.all([first.stop(), second.stop()]);
    });
  });

  it("takes over the counters of a Redis that came back from an older copy: no number handed out twice, no watermark behind one given", async () => {
    // A restart from an older snapshot, as a failover to a replica that had not caught up: the
    // counters are there, but behind what was handed out.
    await withPrivateRedis(async ({ client, restart }) => {
      const store = markStore();
      const leaseMs = 1_000;
      const writer = new SequenceAllocator(client, { prefix, reserve: store.reserve, step: 10, leaseMs });
      const reader = new SequenceAllocator(client, { prefix, reserve: store.reserve, step: 10, leaseMs });
      try {
        await (await writer.allocate("s1", 3)).release();
        await client.save();
        // Handed out after the copy was taken, past its reservation too.
        let issued = 0;
        for (let i = 0; i < 4; i++) {
          const b = await writer.allocate("s1", 4);
          issued = b.hi;
          await b.release();
        }
        const given = await reader.watermark("s1");
        expect(given).toBe(issued);

        await restart(); // loads the copy: counters behind `issued`
        const next = await writer.allocate("s1", 2);
        expect(next.lo).toBeGreaterThan(issued);
        // For one lease no watermark is given (blocks in flight are not back yet), then never one below what readers had.
        const w = await watermarkAfterHold(reader, "s1", leaseMs);
        expect(w).toBe(next.lo - 1);
        expect(w).toBeGreaterThanOrEqual(given);
        await next.release();
        expect(await reader.watermark("s1")).toBe(next.hi);
      } finally {
        await Promise.all([writer.stop(), reader.stop()]);
      }
    });
  });

  it("goes on from the same counters after a reconnect to the same server", async () => {
    const client = createRedis(testRedisUrl());
    const alloc = new SequenceAllocator(client, { prefix, reserve: markStore().reserve, step: 1000 });
    try {
      const a = await alloc.allocate("s1", 3);
      await a.release();
      expect(await alloc.watermark("s1")).toBe(a.hi);
      client.disconnect(true);
      await new Promise<void>((resolve) => client.once("ready", () => resolve()));
      const b = await alloc.allocate("s1", 3);
      expect(b.lo).toBe(a.hi + 1);
      expect(await alloc.watermark("s1")).toBe(a.hi);
      await b.release();
    } finally {
      await alloc.stop();
      await client.quit();
    }
  });

  it("gives no watermark for a lease after Redis lost its data, then none above a block written across the loss", async () => {
    await withPrivateRedis(async ({ client: privateRedis }) => {
      const store = markStore();
      const leaseMs = 1_000;
      const writer = new SequenceAllocator(privateRedis, { prefix, reserve: store.reserve, step: 10, leaseMs });
      const reader = new SequenceAllocator(privateRedis, { prefix, reserve: store.reserve, step: 10, leaseMs });
      try {
        const inFlight = await writer.allocate("s1", 3);
        expect(await reader.watermark("s1")).toBe(inFlight.lo - 1);
        await privateRedis.flushall();
        const lostAt = Date.now();
        // The counter comes back above every number handed out; the block still being written is
        // below it and not back until its writer's next renewal: no position is safe to give yet.
        await expect(reader.watermark("s1")).rejects.toMatchObject({ code: "unavailable" });
        // Writes go on meanwhile, above the new counter.
        const after = await writer.allocate("s1", 2);
        expect(after.lo).toBeGreaterThan(inFlight.hi);
        // The hold lasts one lease (Redis's clock); then readers stop below the block written across the loss.
        const w = await watermarkAfterHold(reader, "s1", leaseMs);
        expect(Date.now() - lostAt).toBeGreaterThanOrEqual(leaseMs - 50);
        expect(w).toBe(inFlight.lo - 1);
        // Never below a watermark given before the loss: the one an edge remembers stays true.
        expect(reader.seenWatermark("s1")).toBe(inFlight.lo - 1);
        await inFlight.release();
        expect(await reader.watermark("s1")).toBe(after.lo - 1);
        await after.release();
        expect(await reader.watermark("s1")).toBeGreaterThanOrEqual(after.hi);
        expect(reader.seenWatermark("s1")).toBeGreaterThanOrEqual(after.hi);
      } finally {
        await Promise.all([writer.stop(), reader.stop()]);
      }
    });
  });

  it("refuses a block larger than one reservation instead of handing out numbers beyond it", async () => {
    const alloc = new SequenceAllocator(redis, { prefix, reserve: markStore().reserve, step: 10 });
    await expect(alloc.allocate("s1", 11)).rejects.toThrow(RangeError);
  });
});
