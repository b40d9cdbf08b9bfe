import { createRng, HASH_SPACE, ShardcastError, type StoredEvent } from "@shardcast/core";
import { waitFor } from "@shardcast/db/testing";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RangeSource } from "../../edge/src/cache/cached-reader.ts";
import { RangeReader, type RangePart } from "../../edge/src/consumers/range-reader.ts";
import type { RouteEntry } from "../../edge/src/routing-cache.ts";
import { runShardletMerge } from "../src/processors/shardlet-merge.ts";
import { runShardletSplit } from "../src/processors/shardlet-split.ts";
import { startMigrationHarness, type MigrationHarness } from "./migration-harness.ts";

/**
 * The shard cache never answers differently from the hosts: while events are written, shardlets
 * split and merge and one migrates, reads through the edge's cache (consumer range reads and reads
 * by position) and reads straight from the hosts, from the same positions up to the same
 * watermark, return the same events, and both return every acknowledged event in that span.
 */

let t: MigrationHarness;
let plain: RangeReader;
let cached: RangeSource;

beforeAll(async () => {
  t = await startMigrationHarness({ hosts: 2, shardCount: 2, shardletsPerShard: 2 });
  await t.settings({ chunkRows: 300, rowsPerSecond: 20_000, cleanupGraceMs: 300 });
  const edge = t.h.edge;
  plain = new RangeReader({ routing: edge.routing, sequences: edge.sequences, hosts: { readRanges: async (hostId, q) => (await t.h.deps.hosts.get(hostId)).readRanges(q) } });
  const reader = edge.readCache.reader;
  if (!reader) throw new Error("the edge's shard cache is off");
  cached = reader;
}, 60_000);

afterAll(async () => {
  await t?.close();
});

const reader = { client: "coherency", group: "test" };

/**
 * A read as a client makes it: an `unavailable` answer (a host timed out while a migration copies
 * on a loaded machine) is a 503 that says "retry", so it is retried; anything else fails the test.
 */
async function readRetrying<T>(read: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (err) {
      if (!(err instanceof ShardcastError && err.code === "unavailable") || attempt >= 10) throw err;
    }
  }
}

/** Every event after `after` up to `watermark`, page by page, over the stream's shardlets as routed at the start. */
async function drain(source: RangeSource, entry: RouteEntry, after: number, watermark: number, limit: number): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  let position = after;
  for (let page = 0; page < 10_000 && position < watermark; page++) {
    const parts: RangePart[] = entry.table.all().map((s) => ({ shardletId: s.id, lo: s.lo, hi: s.hi, cursor: [{ lo: s.lo, hi: s.hi, after: position }] }));
    const res = await readRetrying(() => source.read(entry, parts, limit, reader, watermark));
    for (const list of res.events.values()) out.push(...list);
    expect(res.next, "a page always moves forward").toBeGreaterThan(position);
    position = Math.min(res.next, watermark);
  }
  return out.sort((a, b) => a.seq - b.seq);
}

let positionHits = 0;

/** Every event after `after` up to `watermark` read by position through the edge (its cache in front), page by page. */
async function drainByPosition(after: number, watermark: number, limit: number): Promise<Array<{ seq: number; id: string | null }>> {
  const out: Array<{ seq: number; id: string | null }> = [];
  let position = after;
  for (let page = 0; page < 10_000 && position < watermark; page++) {
    const { body, cache } = await readRetrying(async () => {
      const res = await fetch(`${t.h.edgeUrl}/v1/streams/${t.h.stream}/events?after=${position}&limit=${limit}`, { headers: { authorization: `Bearer ${t.h.token}` } });
      if (res.status === 503) throw new ShardcastError("unavailable", await res.text());
      expect(res.status).toBe(200);
      return { body: (await res.json()) as { events: Array<{ seq: number; id: string | null }>; next: number }, cache: res.headers.get("x-shardcast-cache") };
    });
    if (cache === "hit") positionHits++;
    out.push(...body.events.filter((e) => e.seq <= watermark));
    expect(body.next, "a page always moves forward").toBeGreaterThan(position);
    position = body.next;
  }
  return out;
}

const signature = (events: ReadonlyArray<{ seq: number; id: string | null }>) => events.map((e) => `${e.seq}:${e.id}`).join(",");

describe("shard cache coherency", () => {
  it("a cached read equals an uncached read through writes, splits, merges and a migration", async () => {
    const rng = createRng("cache-coherency");
    let producing = true;
    let compared = 0;
    let checking = true;
    const failures: string[] = [];
    // A loop that throws ends the wait below with its error instead of leaving it to time out.
    const producer = (async () => {
      while (producing) await t.h.produce(Array.from({ length: 40 }, () => ({ key: t.h.keyIn(0, HASH_SPACE), id: t.h.nextId() })));
    })().catch((err: unknown) => void failures.push(`producer: ${String(err)}`));
    const checker = (async () => {
      while (checking) {
        const entry = (await t.h.edge.routing.get(t.h.stream))!;
        const watermark = await t.h.edge.sequences.watermark(entry.meta.id);
        if (watermark < 50) continue;
        // Positions near the tail, where consumers read and where entries overlap and extend.
        const after = Math.max(0, watermark - 1 - Math.floor(rng.next() * 1_500));
        const limit = 20 + Math.floor(rng.next() * 300);
        // Two readers in lockstep through the cache (the second waits on the first's host reads).
        const [viaCache, alongside] = await Promise.all([drain(cached, entry, after, watermark, limit), drain(cached, entry, after, watermark, limit)]);
        const viaHosts = await drain(plain, entry, after, watermark, limit);
        // Reads by position through the same cache: the entries the range reads just left serve them.
        const viaPosition = await drainByPosition(after, watermark, limit);
        if (signature(viaPosition) !== signature(viaHosts)) failures.push(`after ${after} up to ${watermark}: by position ${viaPosition.length} events, hosts ${viaHosts.length}`);
        if (signature(viaCache) !== signature(viaHosts)) failures.push(`after ${after} up to ${watermark}: cache ${viaCache.length} events, hosts ${viaHosts.length}`);
        if (signature(alongside) !== signature(viaHosts)) failures.push(`after ${after} up to ${watermark}: second cached reader ${alongside.length} events, hosts ${viaHosts.length}`);
        // Both are complete: every event acknowledged in the span is there.
        const owed = [...t.h.acked.values()].filter((a) => a.seq > after && a.seq <= watermark).length;
        const got = new Set(viaHosts.map((e) => e.id)).size;
        if (got < owed) failures.push(`after ${after} up to ${watermark}: ${got} of ${owed} acknowledged events`);
        compared++;
      }
    })().catch((err: unknown) => void failures.push(`checker: ${String(err)}`));

    const waitCompared = async (n: number) => {
      const target = compared + n;
      await waitFor(`${n} more comparisons`, () => compared >= target || failures.length > 0, 120_000);
      if (failures.length > 0) throw new Error(failures.join("\n"));
    };
    try {
      await waitCompared(5);
      const active = () => t.h.deps.db.shardlet.findMany({ where: { streamId: t.h.streamId, state: "active" }, orderBy: { lo: "asc" } });
      const target = (await active())[0]!;
      expect(await runShardletSplit(t.h.deps, { shardletId: target.id, reason: "coherency split" })).toMatchObject({ status: "done" });
      await waitCompared(5);
      const children = (await active()).filter((s) => s.parentId === target.id);
      expect(children).toHaveLength(2);
      expect(await runShardletMerge(t.h.deps, { leftId: children[0]!.id, rightId: children[1]!.id, reason: "coherency merge" })).toMatchObject({ status: "done" });
      await waitCompared(5);
      const moving = (await active())[1]!;
      const dest = t.h.hostIds.find((id) => id !== moving.hostId)!;
      const runs = await t.runToEnd(await t.approve(moving.id, dest));
      expect(runs[runs.length - 1]).toMatchObject({ status: "done" });
      await waitCompared(5);
    } finally {
      // Stopped on every way out, so no loop outlives the harness.
      producing = false;
      checking = false;
      await producer;
      await checker;
    }
    expect(failures).toEqual([]);
    expect(compared).toBeGreaterThanOrEqual(20);
    // The cache did answer: parts were served from it, some reads without any host read.
    const stats = t.h.edge.readCache.stats.total;
    expect(stats.hits).toBeGreaterThan(0);
    expect(stats.bytesFromCache).toBeGreaterThan(0);
    expect(stats.hostReadsSaved).toBeGreaterThan(0);
    expect(positionHits).toBeGreaterThan(0);
  }, 240_000);
});
