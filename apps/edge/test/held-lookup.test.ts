import { DEFAULT_INGEST_LIMITS, keyHash } from "@shardcast/core";
import { markOverflowPending } from "@shardcast/db";
import { shadowWriteBatch } from "@shardcast/db/host";
import { createLogger, type SequenceAllocator } from "@shardcast/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { IngestService } from "../src/ingest.ts";
import type { HostWriter } from "../src/ingest-types.ts";
import type { LockView } from "../src/lock-view.ts";
import { get, startHarness, type Harness } from "./harness.ts";

/**
 * An op-lock that asks edges to hold a range's writes (a hand-off, split or merge) can come while a
 * batch looks its ids up on the hosts that may already store them (a range with history, or
 * flagged overflow-pending). The batch then waits for the lock's release like the writes after it,
 * instead of sending a write that would meet the fence the lock is about to raise (a refused
 * write costs a round trip and a route reload before the same wait). Real hosts and Redis; the
 * lock comes from the test at the moment the lookup answers.
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ stream: "held-lookups", shardCount: 1 });
});
afterAll(async () => {
  await h?.close();
});

/** Resolves once a write is parked on the view, waiting for a held lock. */
async function parked(view: LockView): Promise<"parked"> {
  while (view.waiting === 0) await new Promise((r) => setImmediate(r));
  return "parked";
}

describe("a lock taken while a batch's ids are looked up", () => {
  it("holds the batch back until the lock's release: nothing is written meanwhile, and it is stored once after", async () => {
    const key = "held-key";
    const entry = (await h.edge.routing.get(h.stream))!;
    const route = entry.table.lookup(keyHash(key));
    await markOverflowPending(h.db, h.streamId, [{ lo: route.lo, hi: route.hi }]);
    await h.edge.routing.refreshById(h.streamId, "pubsub");
    const locks = h.edge.locks;

    // The lookup answers only once the batch has its sequence numbers and awaits the answer: the
    // lock comes after the batch's last look at the holds before its write.
    let allocated!: () => void;
    const numbered = new Promise<void>((r) => (allocated = r));
    const real = h.edge.sequences;
    const sequences = new Proxy(real, {
      get(target, prop) {
        if (prop === "allocate") {
          return async (...args: Parameters<SequenceAllocator["allocate"]>) => {
            const block = await target.allocate(...args);
            allocated();
            return block;
          };
        }
        const v: unknown = Reflect.get(target, prop);
        return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    });
    let writes = 0;
    let lockedAt: number | null = null;
    const hosts: HostWriter = {
      fencedWriteBatch: async (hostId, w) => {
        writes++;
        return (await h.hosts.get(hostId)).fencedWriteBatch(w);
      },
      appendOverflow: async (hostId, w) => (await h.hosts.get(hostId)).appendOverflow(w),
      shadowWriteBatch: async (hostId, w) => shadowWriteBatch(await h.hosts.get(hostId), w),
      storedEventIds: async (hostId, streamId, ids) => {
        const found = await (await h.hosts.get(hostId)).storedEventIds(streamId, ids);
        await numbered;
        await new Promise((r) => setImmediate(r));
        if (lockedAt === null) {
          lockedAt = writes;
          locks.apply(route.id, true, 30_000);
        }
        return found;
      },
    };
    const ingest = new IngestService({ routing: h.edge.routing, sequences, hosts, isLocked: (id) => locks.has(id), holds: locks, limits: DEFAULT_INGEST_LIMITS, log: createLogger({}, { level: "error" }) });
    const writing = ingest.ingest(h.stream, { events: [{ key, id: "held-1", payload: { n: 1 } }] });
    writing.catch(() => undefined);
    expect(await Promise.race([parked(locks), writing.then(() => "written")])).toBe("parked");
    expect(lockedAt).toBe(0);
    expect(writes).toBe(0);
    // The change ends (here without new routes): the batch is planned again and written, once.
    locks.apply(route.id, false);
    const res = await writing;
    expect(res.accepted).toBe(1);
    expect(writes).toBe(1);
    const read = await get(h, `/v1/streams/${h.stream}/events?key=${key}`);
    expect(read.status).toBe(200);
    expect((read.body.events as Array<{ id: string }>).filter((e) => e.id === "held-1")).toHaveLength(1);
  });
});
