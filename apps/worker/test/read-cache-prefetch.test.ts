import { bucketStart, READ_CACHE_SETTINGS_KEY } from "@shardcast/core";
import { updateSetting } from "@shardcast/db";
import { CORRELATION_STEP_MS, correlationField, readCacheKeys, readPrefetchMap } from "@shardcast/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RangeReader, type RangePart } from "../../edge/src/consumers/range-reader.ts";
import { runCorrelation } from "../src/cache/correlate.ts";
import { startLifecycleHarness, type LifecycleHarness } from "./lifecycle-harness.ts";

/**
 * Correlation-driven prefetch end to end: step counts in Redis (as edges write them) teach the
 * `cache.correlate` job that `order_placed` events are followed by the billing reader's reads of
 * one shardlet; the published map makes the edge queue that shardlet when such an event arrives,
 * the prefetcher pulls it into the cache from where its reader stopped, and the reader's next read
 * is answered from the cache without a host read, equal to what the hosts hold.
 */

let h: LifecycleHarness;

beforeAll(async () => {
  h = await startLifecycleHarness({ hosts: 1, shardCount: 1, shardletsPerShard: 4 });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

const billing = { client: "billing", group: "invoices" };

async function produceTyped(type: string, n: number): Promise<void> {
  const events = Array.from({ length: n }, () => ({ key: h.keyIn(0, 2 ** 32), id: h.nextId(), type, payload: { pad: "x".repeat(64) } }));
  const res = await fetch(`${h.edgeUrl}/v1/streams/${h.stream}/events`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${h.token}` },
    body: JSON.stringify({ events }),
  });
  expect(res.status).toBe(200);
}

/**
 * History as edges flush it: `order_placed` every 15th step and the billing reader on `target`
 * two steps later (rarely enough that a read is not expected anyway), noise always.
 */
async function writeHistory(target: string, others: readonly string[], steps: number): Promise<void> {
  const last = bucketStart(Date.now() - 2 * CORRELATION_STEP_MS - 10_000, CORRELATION_STEP_MS / 1000);
  const multi = h.redis.multi();
  for (let i = 0; i < steps; i++) {
    const b = last - (steps - 1 - i) * CORRELATION_STEP_MS;
    const key = readCacheKeys.bucket(h.prefix, b);
    multi.hincrby(key, correlationField.written(h.streamId, "page_view"), 40 + (i % 7));
    if (i % 15 === 0) multi.hincrby(key, correlationField.written(h.streamId, "order_placed"), 5);
    if (i % 15 === 2) multi.hincrby(key, correlationField.read(h.streamId, target, billing.client), 30);
    // A consumer group tails every shardlet, the target too, whatever is written: it must not
    // hide the billing reader's pattern, and being read all the time is not a correlation.
    for (const o of [target, ...others]) multi.hincrby(key, correlationField.read(h.streamId, o, "tail-group"), 10);
    multi.expire(key, 3_600);
  }
  await multi.exec();
}

describe("correlation-driven prefetch", () => {
  it("learns that a type announces reads of a shardlet and prefetches it before the read", async () => {
    const edge = h.edge;
    const entry0 = (await edge.routing.get(h.stream))!;
    const [target, ...others] = entry0.table.all().map((s) => s.id);
    await writeHistory(target!, others, 300);
    const run = await runCorrelation({ db: h.db, log: h.deps.log, clock: Date.now }, { redis: h.redis, prefix: h.prefix });
    expect(run.steps).toBeGreaterThan(0);
    const map = (await readPrefetchMap(h.redis, h.prefix, h.streamId))!;
    expect(map).not.toBeNull();
    const learned = map.map["order_placed"]?.[target!];
    expect(learned, JSON.stringify(map.map)).toBeDefined();
    expect(learned!.p).toBeGreaterThanOrEqual(map.threshold);
    expect(learned!.lift).toBeGreaterThan(1.5);
    expect(learned!.target).toBe(billing.client);
    // The ever-present type announces nothing above the threshold.
    for (const x of Object.values(map.map["page_view"] ?? {})) expect(x.p < map.threshold || x.lift < 1.5).toBe(true);

    // The billing reader reads the shardlet once (the edge learns where its next read starts).
    await produceTyped("page_view", 200);
    const reader = edge.readCache.reader!;
    let entry = (await edge.routing.get(h.stream))!;
    const route = entry.table.byId(target!)!;
    const part = (after: number): RangePart[] => [{ shardletId: route.id, lo: route.lo, hi: route.hi, cursor: [{ lo: route.lo, hi: route.hi, after }] }];
    let position = 0;
    for (;;) {
      const w = await edge.sequences.watermark(h.streamId);
      const page = await reader.read(entry, part(position), 1_000, billing, w);
      position = page.next;
      if (position >= w) break;
    }
    // Forget what that read cached: what follows must come from the prefetcher.
    edge.readCache.cache.dropStream(h.streamId);
    await produceTyped("page_view", 150);
    await edge.readCache.loadMaps();

    // A noise event queues nothing; an order does.
    await produceTyped("page_view", 1);
    expect(edge.readCache.queue.has(`${h.streamId}\t${target}`)).toBe(false);
    await produceTyped("order_placed", 1);
    expect(edge.readCache.queue.has(`${h.streamId}\t${target}`)).toBe(true);
    const fetched = await edge.readCache.prefetchDue(Date.now() + 3_600_000);
    expect(fetched).toBeGreaterThan(0);
    expect(edge.readCache.stats.total.prefetches).toBe(1);
    expect(edge.readCache.cache.reach(h.streamId, target!)?.from).toBe(position);

    // The reader's next read: from the cache alone, and the same as the hosts'.
    const saved = edge.readCache.stats.total.hostReadsSaved;
    entry = (await edge.routing.get(h.stream))!;
    const w = edge.readCache.cache.reach(h.streamId, target!)!.to;
    const viaCache = await reader.read(entry, part(position), 5_000, billing, w);
    expect(edge.readCache.stats.total.hostReadsSaved).toBe(saved + 1);
    const plain = new RangeReader({ routing: edge.routing, sequences: edge.sequences, hosts: { readRanges: async (hostId, q) => (await h.hosts.get(hostId)).readRanges(q) } });
    const viaHosts = await plain.read(entry, part(position), 5_000, undefined, w);
    const ids = (p: typeof viaCache) => (p.events.get(target!) ?? []).map((e) => `${e.seq}:${e.id}`);
    expect(ids(viaCache).length).toBeGreaterThan(0);
    expect(ids(viaCache)).toEqual(ids(viaHosts));
    expect(viaCache.next).toBe(viaHosts.next);
  }, 120_000);

  it("publishes no map while prefetch is turned off", async () => {
    await updateSetting(h.db, READ_CACHE_SETTINGS_KEY, { prefetchEnabled: false }, null);
    const run = await runCorrelation({ db: h.db, log: h.deps.log, clock: Date.now }, { redis: h.redis, prefix: h.prefix });
    expect(run.skipped).toBe("prefetch is turned off");
    expect(await readPrefetchMap(h.redis, h.prefix, h.streamId)).toBeNull();
  });
});
