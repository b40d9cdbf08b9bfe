import { performance } from "node:perf_hooks";
import { WorkloadGenerator } from "@shardcast/core";
import { CORRELATION_STEP_MS, createRedis, readCacheKeys, writePrefetchMap, type PublishedPrefetchMap } from "@shardcast/runtime";
import { median, percentile, type Suite } from "../harness.ts";
import { sendBatches, startBenchCluster, type BenchCluster } from "../support/cluster.ts";
import { startPageReader, type PageReader } from "../support/page-reader.ts";

const BATCH = 500;
const POLL_LIMIT = 500;
/** The read API's default page (`limit` unset): what a reader that does not tune it gets. */
const API_DEFAULT_LIMIT = 100;
/**
 * Events written per round of announced reads, in quick and full runs alike: about 4 MB, which the
 * edges' default prefetch budget (8 MB/s) moves within the 1.5 s between announcement and read.
 * Larger rounds (the fan-out's 15,000 events, about 9 MB) outrun it, and the part past the budget
 * is read from the hosts on both edges: what the slowest pages then measure is the budget.
 */
const ANNOUNCED_EVENTS_PER_ROUND = 6_000;
/** Warm-up rounds at most before the announced reads are measured (the edges load the maps every few seconds). */
const MAX_WARMUP_ROUNDS = 6;
const GROUPS = 3;

async function post(url: string, token: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

interface Batch {
  shardletId: string;
  generation: number;
  events: unknown[];
  next: number;
}

/** A group of one member that joins at the tail. */
async function joinAtTail(edgeUrl: string, token: string, group: string): Promise<string> {
  const res = await post(`${edgeUrl}/v1/streams/bench/groups/${group}/members`, token, { name: "m", start: "latest" });
  if (res.status !== 201) throw new Error(`join answered ${res.status}: ${JSON.stringify(res.json)}`);
  return res.json.memberId as string;
}

/** Polls the member until `owed` events came, committing as it goes; each delivering poll's latency. */
async function drain(edgeUrl: string, token: string, group: string, memberId: string, owed: number): Promise<number[]> {
  const latencies: number[] = [];
  let got = 0;
  let commits: unknown[] = [];
  for (let polls = 0; got < owed && polls < 10_000; polls++) {
    const t0 = performance.now();
    const res = await post(`${edgeUrl}/v1/streams/bench/groups/${group}/members/${memberId}/poll`, token, { commits, limit: POLL_LIMIT });
    const ms = performance.now() - t0;
    if (res.status !== 200) throw new Error(`poll answered ${res.status}: ${JSON.stringify(res.json)}`);
    const batches = res.json.batches as Batch[];
    let n = 0;
    for (const b of batches) n += b.events.length;
    if (n > 0) latencies.push(ms);
    got += n;
    commits = batches.map((b) => ({ shardletId: b.shardletId, generation: b.generation, position: b.next, events: b.events.length }));
  }
  return latencies;
}

type Reader = "cache" | "none" | "ideal";
/** Every order of the three readers, one per round in turn, so none always reads first or last. */
const READER_ORDERS: ReadonlyArray<readonly Reader[]> = [
  ["cache", "none", "ideal"],
  ["none", "ideal", "cache"],
  ["ideal", "cache", "none"],
  ["none", "cache", "ideal"],
  ["cache", "ideal", "none"],
  ["ideal", "none", "cache"],
];

/**
 * An edge process's own pauses, from its metrics: the event loop's delay (prom-client samples it
 * and resets it at every scrape, so a scrape's figures cover the time since the one before), the
 * time spent collecting garbage so far (all kinds, and full collections alone), and the memory it
 * holds now: the JavaScript heap and what lies outside it (buffers, where the cache keeps its events).
 */
async function processPauses(edgeUrl: string): Promise<{ loopP99Ms: number; loopMaxMs: number; gcMs: number; majorGcMs: number; heapMb: number; externalMb: number }> {
  const text = await (await fetch(`${edgeUrl}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} ([0-9.e+-]+)$`, "m").exec(text)?.[1] ?? 0);
  let gc = 0;
  let major = 0;
  for (const m of text.matchAll(/^nodejs_gc_duration_seconds_sum\{kind="([a-z]+)"[^}]*\} ([0-9.e+-]+)$/gm)) {
    gc += Number(m[2]);
    if (m[1] === "major") major += Number(m[2]);
  }
  const mb = (name: string) => value(name) / (1024 * 1024);
  return { loopP99Ms: value("nodejs_eventloop_lag_p99_seconds") * 1000, loopMaxMs: value("nodejs_eventloop_lag_max_seconds") * 1000, gcMs: gc * 1000, majorGcMs: major * 1000, heapMb: mb("nodejs_heap_size_used_bytes"), externalMb: mb("nodejs_external_memory_bytes") };
}

/** Prefetches the edges have made so far (their cache snapshots in Redis). */
async function prefetchesSoFar(c: BenchCluster): Promise<number> {
  const redis = createRedis(c.redisUrl);
  try {
    const snaps = Object.values(await redis.hgetall(readCacheKeys.stats(c.prefix))).map((j) => JSON.parse(j) as { prefetches?: number });
    return snaps.reduce((sum, s) => sum + (s.prefetches ?? 0), 0);
  } finally {
    await redis.quit();
  }
}

/**
 * Announced reads on real edges: each shardlet has an event type that announces a read of it a
 * step later (as the correlation engine's published map says; how well the engine learns such
 * maps is what the simulated part of this suite measures). Per round, events are written (through
 * a third edge, so neither measured edge carries the ingest), then one
 * announcing event per shardlet, and about a second later (the predicted arrival) a reader reads
 * each shardlet's new events at the API's default page. The edge with the cache prefetched them;
 * the one without reads the host. The reader's earlier read taught both edges where it stands.
 * Warm-up rounds run until the cache edge has prefetched (it loads the map on its own schedule).
 * The p99 is taken over every page of every measured round, not per round: a round has a few
 * dozen pages, whose p99 is only their slowest. The reads are timed in a reader process of their
 * own (support/page-reader.ts), and the ideal server (support/ideal-server.ts) is read as many
 * pages in turn with the edges: the p99 no cache can beat on this machine in this run.
 */
async function announcedReads(c: BenchCluster, reader: PageReader, noCacheUrl: string, writerUrl: string, idealUrl: string, gen: WorkloadGenerator, runs: number, perRun: number, log: (line: string) => void): Promise<Record<string, number>> {
  const shardlets = (await (await fetch(`${c.edgeUrl}/v1/streams/bench/shardlets`, { headers: { authorization: `Bearer ${c.token}` } })).json()) as { shardlets: Array<{ id: string }> };
  const ids = shardlets.shardlets.map((s) => s.id);
  const map: PublishedPrefetchMap["map"] = {};
  ids.forEach((id, i) => (map[`announce_${i}`] = { [id]: { p: 0.9, lagSteps: 1, lift: 5, target: "reporter" } }));
  const redis = createRedis(c.redisUrl);
  await writePrefetchMap(redis, c.prefix, { streamId: c.streamId, at: Date.now(), stepMs: CORRELATION_STEP_MS, threshold: 0.3, map });
  await redis.quit();
  const positions = new Map<string, number>();
  const all: Record<Reader, number[]> = { cache: [], none: [], ideal: [] };
  /** The cache edge's pages it answered from memory alone, and the rest (a host read, at least in part). */
  const split: Record<"hit" | "host", number[]> = { hit: [], host: [] };
  const perRound: Record<Reader, number[]> = { cache: [], none: [], ideal: [] };
  const urls: Array<["cache" | "none", string]> = [["cache", c.edgeUrl], ["none", noCacheUrl]];
  // The reader's first reads: both edges learn its position on every shardlet.
  for (const id of ids) for (const [, url] of urls) positions.set(id, (await reader.shardlet({ edgeUrl: url, token: c.token, shardletId: id, after: 0, client: "reporter", limit: POLL_LIMIT })).next);
  // The ideal server answers with a real page of the API's default size.
  const sample = await fetch(`${c.edgeUrl}/v1/streams/bench/shardlets/${ids[0]}/events?after=0&limit=${API_DEFAULT_LIMIT}`, { headers: { authorization: `Bearer ${c.token}` } });
  const primed = await fetch(idealUrl, { method: "PUT", body: Buffer.from(await sample.arrayBuffer()) });
  if (primed.status !== 204) throw new Error(`the ideal server answered ${primed.status} to its page`);
  /** Pages an edge read per shardlet in the latest read: what the ideal server is read for. */
  const pagesPerRead = new Map<string, number>();
  const before = await prefetchesSoFar(c);
  const pausesBefore = { cache: await processPauses(c.edgeUrl), none: await processPauses(noCacheUrl) };
  let warm = false;
  let warmups = 0;
  for (let r = 0; perRound.cache.length < runs; r++) {
    const bodies: string[] = [];
    for (let n = 0; n < perRun; n += BATCH) bodies.push(JSON.stringify({ events: gen.nextBatch(Math.min(BATCH, perRun - n)) }));
    await sendBatches(writerUrl, c.token, bodies, 4);
    // The announcements reach both edges (each edge prefetches on what it takes itself).
    const announce = JSON.stringify({ events: ids.map((_, i) => ({ key: `announce-${r}-${i}`, type: `announce_${i}`, payload: {} })) });
    await Promise.all(urls.map(([, url]) => sendBatches(url, c.token, [announce], 1)));
    await new Promise((res) => setTimeout(res, 1_500)); // the reads arrive at their predicted time
    const lat: Record<Reader, number[]> = { cache: [], none: [], ideal: [] };
    const roundSplit: Record<"hit" | "host", number[]> = { hit: [], host: [] };
    const order = READER_ORDERS[r % READER_ORDERS.length]!;
    const nextPositions = new Map<string, number>();
    // Shardlet by shardlet, each reader in turn: a pause of the machine (another process, the
    // database) falls on every reader's pages alike, not on whichever one's block it came during.
    for (const id of ids) {
      for (const kind of order) {
        if (kind === "ideal") {
          lat.ideal.push(...(await reader.fixed(idealUrl, pagesPerRead.get(id) ?? 1)));
          continue;
        }
        const got = await reader.shardlet({ edgeUrl: kind === "cache" ? c.edgeUrl : noCacheUrl, token: c.token, shardletId: id, after: positions.get(id)!, client: "reporter", limit: API_DEFAULT_LIMIT });
        lat[kind].push(...got.latencies);
        if (kind === "cache") got.latencies.forEach((ms, i) => roundSplit[got.hits[i] ? "hit" : "host"].push(ms));
        nextPositions.set(id, got.next);
        pagesPerRead.set(id, got.latencies.length);
      }
    }
    for (const [id, n] of nextPositions) positions.set(id, n);
    if (!warm) {
      // Rounds before the cache edge's first prefetch measure an edge that has not loaded the map.
      warm = (await prefetchesSoFar(c)) > before;
      if (!warm && ++warmups >= MAX_WARMUP_ROUNDS) throw new Error(`the cache edge made no prefetch in ${warmups} rounds of announced reads`);
      continue;
    }
    all.cache.push(...lat.cache);
    all.none.push(...lat.none);
    all.ideal.push(...lat.ideal);
    split.hit.push(...roundSplit.hit);
    split.host.push(...roundSplit.host);
    perRound.cache.push(percentile(lat.cache, 99));
    perRound.none.push(percentile(lat.none, 99));
    perRound.ideal.push(percentile(lat.ideal, 99));
    log(`announced reads round ${perRound.cache.length}/${runs}: ${lat.cache.length} pages, slowest ${perRound.cache.at(-1)!.toFixed(1)} ms prefetched vs ${perRound.none.at(-1)!.toFixed(1)} ms from the host (ideal server ${perRound.ideal.at(-1)!.toFixed(1)} ms)`);
  }
  const p99 = { cache: percentile(all.cache, 99), none: percentile(all.none, 99), ideal: percentile(all.ideal, 99) };
  const pauses = { cache: await processPauses(c.edgeUrl), none: await processPauses(noCacheUrl) };
  const gcMs = { cache: pauses.cache.gcMs - pausesBefore.cache.gcMs, none: pauses.none.gcMs - pausesBefore.none.gcMs };
  const majorGcMs = { cache: pauses.cache.majorGcMs - pausesBefore.cache.majorGcMs, none: pauses.none.majorGcMs - pausesBefore.none.majorGcMs };
  log(
    `edge processes during the announced reads: event loop delay p99 ${pauses.cache.loopP99Ms.toFixed(1)} ms (max ${pauses.cache.loopMaxMs.toFixed(1)}) with the cache vs ${pauses.none.loopP99Ms.toFixed(1)} ms (max ${pauses.none.loopMaxMs.toFixed(1)}) without; garbage collection ${gcMs.cache.toFixed(0)} vs ${gcMs.none.toFixed(0)} ms (full collections ${majorGcMs.cache.toFixed(0)} vs ${majorGcMs.none.toFixed(0)} ms); memory held after, heap and outside it: ${pauses.cache.heapMb.toFixed(0)} + ${pauses.cache.externalMb.toFixed(0)} MB vs ${pauses.none.heapMb.toFixed(0)} + ${pauses.none.externalMb.toFixed(0)} MB`,
  );
  log(`announced reads: p99 over ${all.cache.length} pages ${p99.cache.toFixed(1)} ms prefetched vs ${p99.none.toFixed(1)} ms from the host (p50 ${percentile(all.cache, 50).toFixed(1)} vs ${percentile(all.none, 50).toFixed(1)} ms)`);
  log(`ideal server, same pages: p99 ${p99.ideal.toFixed(1)} ms (p50 ${percentile(all.ideal, 50).toFixed(2)} ms): no cache can read faster on this machine now, so ${(p99.ideal / p99.none).toFixed(2)} is the lowest p99 ratio this run could show`);
  log(
    `announced reads on the cache edge: ${split.hit.length} pages from memory alone (p50 ${percentile(split.hit, 50).toFixed(1)} ms, p99 ${percentile(split.hit, 99).toFixed(1)} ms), ${split.host.length} with a host read (p99 ${percentile(split.host, 99).toFixed(1)} ms)`,
  );
  return {
    announced_read_p99_ms_prefetch: p99.cache,
    announced_read_p99_ms_nocache: p99.none,
    read_p99_ratio_vs_nocache: p99.cache / p99.none,
    read_p50_ratio_vs_nocache: percentile(all.cache, 50) / percentile(all.none, 50),
    read_p99_ratio_vs_nocache_round_median: median(perRound.cache.map((v, i) => v / perRound.none[i]!)),
    // The same pages from the ideal server (support/ideal-server.ts), read in turn with the edges:
    // the least p99 ratio any cache could show in this run, and how far the cache edge is above it.
    announced_read_p99_ms_ideal: p99.ideal,
    read_p99_ratio_ideal_vs_nocache: p99.ideal / p99.none,
    read_p50_ratio_ideal_vs_nocache: percentile(all.ideal, 50) / percentile(all.none, 50),
    read_p99_ratio_vs_ideal: p99.cache / p99.ideal,
    announced_read_pages: all.cache.length,
    // Which pages make the cache edge's tail: those it answered from memory, or those that still read a host.
    announced_read_hit_share: all.cache.length > 0 ? split.hit.length / all.cache.length : 0,
    announced_read_p99_ms_hits: percentile(split.hit, 99),
    announced_read_p99_ms_host_pages: percentile(split.host, 99),
    announced_edge_loop_delay_p99_ms_cache: pauses.cache.loopP99Ms,
    announced_edge_loop_delay_p99_ms_nocache: pauses.none.loopP99Ms,
    announced_edge_gc_ms_cache: gcMs.cache,
    announced_edge_gc_ms_nocache: gcMs.none,
    announced_edge_major_gc_ms_cache: majorGcMs.cache,
    announced_edge_major_gc_ms_nocache: majorGcMs.none,
    // The cache edge's memory after the announced reads (its cache full or nearly), and the other's.
    announced_edge_heap_mb_cache: pauses.cache.heapMb,
    announced_edge_external_mb_cache: pauses.cache.externalMb,
    announced_edge_heap_mb_nocache: pauses.none.heapMb,
    announced_edge_external_mb_nocache: pauses.none.externalMb,
  };
}

/**
 * Fan-out on real edges (one storage host, 8 shardlets): `GROUPS` consumer groups read the same
 * freshly written events at once, through an edge with the shard cache on (default budget) and
 * through one with it off (`SHARDCAST_EDGE_CACHE_MB=0`), interleaved run by run on the same
 * cluster, each run on new events written through a third edge. Per-poll latency of polls that delivered events, p50 and p99.
 * With the cache, the first group to reach a range reads it from the host and the others get it
 * from memory; without it, every group reads the host.
 */
export async function edgeCacheMetrics(opts: { quick: boolean; log: (line: string) => void }): Promise<Record<string, number>> {
  const runs = opts.quick ? 3 : 5;
  const perRun = opts.quick ? 6_000 : 15_000;
  const c: BenchCluster = await startBenchCluster({ hostCount: 1, shardCount: 4, shardletsPerShard: 2 });
  try {
    const noCacheUrl = await c.startEdge({ SHARDCAST_EDGE_CACHE_MB: "0" });
    // The bulk writes go through an edge neither measurement reads from: ingest on the cache's
    // edge alone loaded its event loop and put its tail behind the other's.
    const writerUrl = await c.startEdge({ SHARDCAST_EDGE_CACHE_MB: "0" });
    const gen = new WorkloadGenerator({ seed: "cache-bench", keys: 20_000, bursts: false });
    const p99: Record<"cache" | "none", number[]> = { cache: [], none: [] };
    const p50: Record<"cache" | "none", number[]> = { cache: [], none: [] };
    const rate: Record<"cache" | "none", number[]> = { cache: [], none: [] };
    for (let r = 0; r < runs; r++) {
      const order: Array<["cache" | "none", string]> = r % 2 === 0 ? [["cache", c.edgeUrl], ["none", noCacheUrl]] : [["none", noCacheUrl], ["cache", c.edgeUrl]];
      for (const [kind, url] of order) {
        const groups = Array.from({ length: GROUPS }, (_, g) => `fan-${kind}-${r}-${g}`);
        const members = await Promise.all(groups.map((g) => joinAtTail(url, c.token, g)));
        const bodies: string[] = [];
        for (let n = 0; n < perRun; n += BATCH) bodies.push(JSON.stringify({ events: gen.nextBatch(Math.min(BATCH, perRun - n)) }));
        await sendBatches(writerUrl, c.token, bodies, 4);
        const t0 = performance.now();
        const lat = (await Promise.all(groups.map((g, i) => drain(url, c.token, g, members[i]!, perRun)))).flat();
        rate[kind].push((GROUPS * perRun) / ((performance.now() - t0) / 1000));
        p99[kind].push(percentile(lat, 99));
        p50[kind].push(percentile(lat, 50));
      }
      opts.log(`edge run ${r + 1}/${runs}: poll p99 ${p99.cache[r]!.toFixed(1)} ms with the cache vs ${p99.none[r]!.toFixed(1)} ms without; ${rate.cache[r]!.toFixed(0)} vs ${rate.none[r]!.toFixed(0)} events/s`);
    }
    // More rounds than the fan-out's: the p99 of the announced reads is taken over their pages.
    const idealUrl = await c.startIdealServer();
    const reader = await startPageReader();
    let announced: Record<string, number>;
    try {
      announced = await announcedReads(c, reader, noCacheUrl, writerUrl, idealUrl, gen, opts.quick ? 4 : 12, ANNOUNCED_EVENTS_PER_ROUND, opts.log);
    } finally {
      await reader.close();
    }
    const redis = createRedis(c.redisUrl);
    const snaps = Object.values(await redis.hgetall(readCacheKeys.stats(c.prefix))).map((j) => JSON.parse(j) as { hits: number; misses: number; hostReadsSaved: number; bytesFromCache: number; bytesFromHosts: number });
    await redis.quit();
    const snap = snaps.find((s) => s.hits + s.misses > 0);
    if (snap) opts.log(`cache edge: ${snap.hits} part hits, ${snap.misses} misses, ${snap.hostReadsSaved} reads without a host read, ${snap.bytesFromCache} bytes from the cache vs ${snap.bytesFromHosts} from hosts`);
    return {
      fanout_poll_p99_ms_cache: median(p99.cache),
      fanout_poll_p99_ms_nocache: median(p99.none),
      fanout_poll_p99_ratio_vs_nocache: median(p99.cache.map((v, i) => v / p99.none[i]!)),
      fanout_poll_p50_ratio_vs_nocache: median(p50.cache.map((v, i) => v / p50.none[i]!)),
      fanout_events_per_s_ratio_vs_nocache: median(rate.cache.map((v, i) => v / rate.none[i]!)),
      ...announced,
    };
  } finally {
    await c.close();
  }
}

/** The cache suite's real-edge part alone, for runs that measure the edges without the simulated part. */
export const cacheEdgeSuite: Suite = {
  name: "cache-edge",
  description: "the cache suite's real edges alone: fan-out polls and announced reads with the cache on and off, beside an ideal server",
  run: ({ quick, log }) => edgeCacheMetrics({ quick, log }),
};
