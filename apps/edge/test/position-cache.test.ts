import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { get, post, startHarness, type Harness } from "./harness.ts";

/**
 * Reads by position through the edge's shard cache: a page the hosts answered fills every routed
 * range's entry, so the same or a later position is answered from memory (`x-shardcast-cache:
 * hit`) with exactly the hosts' events; entries filled by shardlet reads serve position reads too;
 * and a read reaching past what the entries hold goes to the hosts and returns the new events.
 */

let h: Harness;
type Page = { events: Array<{ seq: number; id: string }>; next: number; watermark: number };

const byPosition = async (after: number, limit: number) => {
  const res = await get(h, `/v1/streams/${h.stream}/events?after=${after}&limit=${limit}`);
  expect(res.status).toBe(200);
  return { page: res.body as unknown as Page, cache: res.headers.get("x-shardcast-cache") };
};
const produce = async (tag: string, n: number) => {
  const events = Array.from({ length: n }, (_, i) => ({ key: `${tag}-${i}`, id: `${tag}-${i}` }));
  expect((await post(h, `/v1/streams/${h.stream}/events`, { events })).status).toBe(200);
};
const ids = (p: Page) => p.events.map((e) => `${e.seq}:${e.id}`);

beforeAll(async () => {
  h = await startHarness({ shardCount: 4, edge: { readCache: { maxBytes: 8 * 1024 * 1024, prefetchBytesPerSec: 0 } } });
  await produce("a", 300);
}, 60_000);

afterAll(async () => {
  await h?.close();
});

describe("reads by position through the shard cache", () => {
  it("answers a repeated or later position from memory with the hosts' events, and reads new events from the hosts", async () => {
    const first = await byPosition(0, 1000);
    expect(first.cache).toBe("miss");
    expect(first.page.events).toHaveLength(300);
    expect(first.page.next).toBe(first.page.watermark);

    const again = await byPosition(0, 1000);
    expect(again.cache).toBe("hit");
    expect(ids(again.page)).toEqual(ids(first.page));
    expect(again.page.next).toBe(first.page.next);

    // Pages of the cached span: the same pages the hosts' events make, never ending inside a position.
    const mid = first.page.events[120]!.seq;
    const paged = await byPosition(mid, 50);
    expect(paged.cache).toBe("hit");
    expect(ids(paged.page)).toEqual(ids(first.page).filter((_, i) => i > 120).slice(0, 50));
    expect(paged.page.next).toBe(first.page.events[170]!.seq);
    const saved = h.edge.readCache.stats.total.hostReadsSaved;
    expect(saved).toBeGreaterThanOrEqual(2);

    // New events lie past every entry: the page must come from the hosts, and holds them.
    await produce("b", 40);
    const later = await byPosition(0, 1000);
    expect(later.cache).toBe("miss");
    expect(later.page.events).toHaveLength(340);
    expect(ids(later.page).slice(0, 300)).toEqual(ids(first.page));
    expect(h.edge.readCache.stats.total.hostReadsSaved).toBe(saved);
  });

  it("serves a position read from entries that shardlet reads filled", async () => {
    await produce("c", 60);
    const { page: tail } = await byPosition(0, 1000);
    const after = tail.events[tail.events.length - 61]!.seq;
    await produce("d", 30);
    const shardlets = (await get(h, `/v1/streams/${h.stream}/shardlets`)).body.shardlets as Array<{ id: string }>;
    for (const s of shardlets) {
      const res = await get(h, `/v1/streams/${h.stream}/shardlets/${s.id}/events?after=${after}&limit=1000`);
      expect(res.status).toBe(200);
    }
    // The shardlet reads are cached now: read again, each says so.
    const again = await get(h, `/v1/streams/${h.stream}/shardlets/${shardlets[0]!.id}/events?after=${after}&limit=1000`);
    expect(again.headers.get("x-shardcast-cache")).toBe("hit");
    const viaCache = await byPosition(after, 1000);
    expect(viaCache.cache).toBe("hit");
    expect(viaCache.page.events.map((e) => e.id).sort()).toEqual([...Array.from({ length: 60 }, (_, i) => `c-${i}`), ...Array.from({ length: 30 }, (_, i) => `d-${i}`)].sort());
  });

  it("answers a page cut short of what it holds below a watermark it has seen without asking Redis for the current one", async () => {
    const { page: all } = await byPosition(0, 1000);
    const saved = () => h.edge.readCache.stats.total.watermarkReadsSaved;
    const before = saved();
    // The watermark moves on past everything cached; the cached events below the older one are final all the same.
    await produce("e", 20);
    const paged = await byPosition(all.events[10]!.seq, 25);
    expect(paged.cache).toBe("hit");
    expect(ids(paged.page)).toEqual(ids(all).slice(11, 36));
    expect(saved()).toBe(before + 1);
    const shardlet = (await get(h, `/v1/streams/${h.stream}/shardlets`)).body.shardlets as Array<{ id: string }>;
    const one = await get(h, `/v1/streams/${h.stream}/shardlets/${shardlet[0]!.id}/events?after=0&limit=5`);
    expect(one.headers.get("x-shardcast-cache")).toBe("hit");
    expect((one.body as unknown as Page).events).toHaveLength(5);
    expect(saved()).toBe(before + 2);
    // A page reaching the end of what is cached asks for the current watermark, and gets the new events from the hosts.
    const tail = await byPosition(all.events[all.events.length - 5]!.seq, 100);
    expect(tail.page.watermark).toBeGreaterThan(all.watermark);
    expect(tail.page.events.map((e) => e.id).sort()).toEqual([...all.events.slice(-4).map((e) => e.id), ...Array.from({ length: 20 }, (_, i) => `e-${i}`)].sort());
    expect(saved()).toBe(before + 2);
  });
});
