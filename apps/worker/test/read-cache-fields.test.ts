import { bucketStart, READ_CACHE_SETTINGS_KEY } from "@shardcast/core";
import { updateSetting } from "@shardcast/db";
import { CORRELATION_STEP_MS, correlationField, readCacheKeys, readPrefetchMap } from "@shardcast/runtime";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RangePart } from "../../edge/src/consumers/range-reader.ts";
import { runCorrelation } from "../src/cache/correlate.ts";
import { callEdge, startLifecycleHarness, type LifecycleHarness } from "./lifecycle-harness.ts";

/**
 * Correlation over a payload field end to end: the read cache settings name `user`; the job
 * publishes the field with its map, so the edge counts users' values in Redis; step counts (as
 * edges write them) teach the job that user u-7's events, whatever their type, are followed by
 * the session reader's reads of one shardlet; and an event of u-7 makes the edge queue and
 * prefetch that shardlet, while the same event type of another user queues nothing.
 */

let h: LifecycleHarness;

beforeAll(async () => {
  h = await startLifecycleHarness({ hosts: 1, shardCount: 1, shardletsPerShard: 4 });
}, 60_000);

afterAll(async () => {
  await h?.close();
});

const session = { client: "session", group: "profile" };
const correlate = () => runCorrelation({ db: h.db, log: h.deps.log, clock: Date.now }, { redis: h.redis, prefix: h.prefix });

async function produce(type: string, user: string, n: number): Promise<void> {
  const events = Array.from({ length: n }, () => ({ key: h.keyIn(0, 2 ** 32), id: h.nextId(), type, payload: { user, pad: "x".repeat(64) } }));
  expect((await callEdge(h, "POST", "/events", { events })).status).toBe(200);
}

/** `login` of some user every step; u-7's every 15th step, followed two steps later by the session reader on `target`. */
async function writeHistory(target: string, others: readonly string[], steps: number): Promise<void> {
  const last = bucketStart(Date.now() - 2 * CORRELATION_STEP_MS - 10_000, CORRELATION_STEP_MS / 1000);
  const multi = h.redis.multi();
  for (let i = 0; i < steps; i++) {
    const key = readCacheKeys.bucket(h.prefix, last - (steps - 1 - i) * CORRELATION_STEP_MS);
    multi.hincrby(key, correlationField.written(h.streamId, "login"), 6);
    multi.hincrby(key, correlationField.value(h.streamId, "user", `u-${100 + (i % 40)}`), 5);
    if (i % 15 === 0) multi.hincrby(key, correlationField.value(h.streamId, "user", "u-7"), 1);
    if (i % 15 === 2) multi.hincrby(key, correlationField.read(h.streamId, target, session.client), 30);
    for (const o of others) if (i % 3 === 1) multi.hincrby(key, correlationField.read(h.streamId, o, session.client), 5);
    multi.expire(key, 3_600);
  }
  await multi.exec();
}

describe("correlation over payload fields", () => {
  it("reaches the edge through the job's map, is learnt, and prefetches for the field's value", async () => {
    const edge = h.edge;
    await updateSetting(h.db, READ_CACHE_SETTINGS_KEY, { correlateFields: ["user"] }, null);
    await correlate();
    expect((await readPrefetchMap(h.redis, h.prefix, h.streamId))?.fields).toEqual(["user"]);

    // The edge counts the field's values once it has the map (maps are read for the streams it routes).
    await edge.routing.get(h.stream);
    await edge.readCache.loadMaps();
    await produce("login", "u-42", 3);
    await edge.readCache.counts.flush();
    const bucket = await h.redis.hgetall(readCacheKeys.bucket(h.prefix, bucketStart(Date.now(), CORRELATION_STEP_MS / 1000)));
    expect(bucket[correlationField.value(h.streamId, "user", "u-42")]).toBe("3");

    const entry0 = (await edge.routing.get(h.stream))!;
    const [target, ...others] = entry0.table.all().map((s) => s.id);
    await h.redis.del(readCacheKeys.engine(h.prefix, h.streamId), readCacheKeys.attributes(h.prefix, h.streamId));
    await writeHistory(target!, others, 300);
    await correlate();
    const map = (await readPrefetchMap(h.redis, h.prefix, h.streamId))!;
    const learned = map.attrs["user"]?.["u-7"]?.[target!];
    expect(learned, JSON.stringify(map.attrs)).toBeDefined();
    expect(learned!.p).toBeGreaterThanOrEqual(map.threshold);
    expect(learned!.target).toBe(session.client);
    // The type every user writes announces nothing.
    for (const x of Object.values(map.map["login"] ?? {})) expect(x.p < map.threshold || x.lift < 1.5).toBe(true);

    // The session reader reads the shardlet once (the edge learns where its next read starts).
    await produce("view", "u-1", 50);
    const entry = (await edge.routing.get(h.stream))!;
    const route = entry.table.byId(target!)!;
    const part: RangePart[] = [{ shardletId: route.id, lo: route.lo, hi: route.hi, cursor: [{ lo: route.lo, hi: route.hi, after: 0 }] }];
    await edge.readCache.reader!.read(entry, part, 1_000, session, await edge.sequences.watermark(h.streamId));
    edge.readCache.cache.dropStream(h.streamId);
    await produce("view", "u-1", 100);
    await edge.readCache.loadMaps();

    const key = `${h.streamId}\t${target}`;
    await produce("login", "u-100", 1);
    expect(edge.readCache.queue.has(key)).toBe(false);
    await produce("login", "u-7", 1);
    expect(edge.readCache.queue.has(key)).toBe(true);
    expect(await edge.readCache.prefetchDue(Date.now() + 3_600_000)).toBeGreaterThan(0);
    expect(edge.readCache.fields.scores(Date.now())).toEqual([]);
  }, 120_000);

  it("without fields configured publishes none, and the edge counts no values", async () => {
    await updateSetting(h.db, READ_CACHE_SETTINGS_KEY, { correlateFields: [] }, null);
    await correlate();
    const map = (await readPrefetchMap(h.redis, h.prefix, h.streamId))!;
    expect(map.fields).toEqual([]);
    expect(map.attrs).toEqual({});
    expect(await h.redis.exists(readCacheKeys.attributes(h.prefix, h.streamId))).toBe(0);
  });
});
