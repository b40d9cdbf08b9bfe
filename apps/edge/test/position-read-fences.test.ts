import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyHash } from "@shardcast/core";
import { loadRoutes } from "@shardcast/db";
import { deleteRangeRows, readRangeRows, SHADOW_FENCE_STATE, writeCopiedRows } from "@shardcast/db/host";
import { createRedis, type SequenceAllocator } from "@shardcast/runtime";
import { testRedisUrl } from "@shardcast/runtime/testing/env";
import { ReadService } from "../src/reads.ts";
import type { RoutingCache } from "../src/routing-cache.ts";
import { post, startHarness, type Harness } from "./harness.ts";
import { readParts } from "./read-parts.ts";

/**
 * A read by position judges a host's page by the fences of the same snapshot as its rows. Fences
 * read after the rows may already show a later state: a shardlet that moved off the host (its rows
 * there cleaned up) and then moved back, rows and all, looks settled, and the page that lacks its
 * rows would pass for complete.
 */

let h: Harness;
let redis: ReturnType<typeof createRedis>;
let routing: RoutingCache;
let sequences: SequenceAllocator;

beforeAll(async () => {
  h = await startHarness({ stream: "position-fences", shardCount: 2 });
  redis = createRedis(testRedisUrl());
  ({ routing, sequences } = readParts(h, redis));
});

afterAll(async () => {
  await redis?.quit();
  await h?.close();
});

function keyIn(r: { lo: number; hi: number }): string {
  for (let n = 0; ; n++) {
    const k = `fenced-key-${n}`;
    const hash = keyHash(k);
    if (hash >= r.lo && hash < r.hi) return k;
  }
}

describe("reads by position and the fences of their rows", () => {
  it("re-route a page read while its shardlet was moved off the host, though it moved back before the page was judged", async () => {
    const r = (await loadRoutes(h.db, h.streamId)).find((x) => !x.shadowHostId)!;
    const key = keyIn(r);
    const ack = await post(h, `/v1/streams/${h.stream}/events`, { events: Array.from({ length: 5 }, (_, i) => ({ key, id: `back-${i}` })) });
    expect(ack.status).toBe(200);
    const seqs = (ack.body.events as Array<{ seq: number }>).map((e) => e.seq);
    const range = { streamId: h.streamId, lo: r.lo, hi: r.hi };
    const host = await h.hosts.get(r.hostId);
    const rows = await readRangeRows(host, { ...range, afterSeq: 0, upToSeq: null, limit: 1000 });
    expect(rows.map((x) => x.seq)).toEqual(seqs);
    // Moved away behind the edge's back and cleaned up on this host; the route still names it.
    await host.setFence(r.id, h.streamId, r.epoch + 1, "moved");
    while ((await deleteRangeRows(host, { ...range, limit: 1000 })) > 0);

    let movedBack = false;
    const reads = new ReadService({
      routing,
      sequences,
      hosts: {
        readByPosition: async (hostId, q) => {
          const page = await (await h.hosts.get(hostId)).readByPosition(q);
          // Once this host's rows are read, and before anything else is: the shardlet comes back
          // (copied under a shadow fence, then switched), as a migration back to it would.
          if (hostId === r.hostId && !movedBack) {
            movedBack = true;
            await host.setFence(r.id, h.streamId, r.epoch + 2, SHADOW_FENCE_STATE, { lo: r.lo, hi: r.hi });
            const copied = await writeCopiedRows(host, { streamId: h.streamId, shardletId: r.id, epoch: r.epoch + 2, states: [SHADOW_FENCE_STATE], rows });
            expect(copied).toEqual({ accepted: true, inserted: rows.length });
            await host.setFence(r.id, h.streamId, r.epoch + 2, "active");
          }
          return page;
        },
        readByKey: async (hostId, q) => (await h.hosts.get(hostId)).readByKey(q),
        fence: async (hostId, shardletId) => (await h.hosts.get(hostId)).getFence(shardletId),
      },
    });

    const page = await reads.byPosition(h.stream, 0, 100);
    expect(movedBack).toBe(true);
    expect(page.next).toBe(page.watermark);
    expect(page.events.filter((e) => e.key === key).map((e) => e.seq)).toEqual(seqs);
  });
});
