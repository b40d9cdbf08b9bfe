import { z } from "zod";
import { listShardletRanges, listStreamNames, type ControlDb } from "@shardcast/db";
import { READ_CACHE_TTL_SEC, readCacheKeys } from "@shardcast/runtime";
import type { RedisClient } from "../context.ts";
import type { CacheOverview } from "../routers/cache/schemas.ts";
import { streamFor } from "./consumer-views.ts";

// Edges of another version may write other shapes: those are skipped, not fatal, so the schemas
// name only the fields the console shows and let the rest pass.
const count = z.number().finite().min(0);
const snapshotSchema = z.object({
  edgeId: z.string(),
  queued: count,
  /** Absent from edges of an earlier version. */
  waiting: count.optional(),
  at: z.number(),
  hits: count,
  misses: count,
  bytesFromCache: count,
  bytesFromHosts: count,
  hostReadsSaved: count,
  prefetches: count,
  prefetchedBytes: count,
  wastedPrefetches: count,
  wastedPrefetchBytes: count,
  entries: count,
  bytes: count,
  maxBytes: count,
  shardlets: z.array(z.object({ streamId: z.string(), shardletId: z.string(), hits: count, misses: count, bytesFromCache: count, bytesFromHosts: count })),
});
const historySchema = snapshotSchema.pick({ at: true, hits: true, misses: true, bytesFromCache: true, bytesFromHosts: true, prefetchedBytes: true, wastedPrefetchBytes: true });
type HistoryEntry = z.infer<typeof historySchema>;

/** Busiest cached shardlets shown. */
const TOP_SHARDLETS = 25;

const share = (part: number, whole: number): number | null => (whole > 0 ? Math.min(1, part / whole) : null);

function parseJson<T>(schema: z.ZodType<T>, raw: string): T | null {
  try {
    const parsed = schema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

/**
 * The hit ratio between consecutive snapshots. Snapshots carry counters cumulative since the edge
 * started, so the ratio of their totals only ever drifts towards the long-run mean; the deltas
 * show what the cache does now. A counter that went down means the counters restarted: that
 * snapshot becomes the new baseline instead of a negative point.
 */
export function hitRatioSeries(newestFirst: readonly HistoryEntry[]): CacheOverview["edges"][number]["series"] {
  const chronological = [...newestFirst].sort((a, b) => a.at - b.at);
  const out: CacheOverview["edges"][number]["series"] = [];
  for (let i = 1; i < chronological.length; i++) {
    const prev = chronological[i - 1]!;
    const cur = chronological[i]!;
    const d = {
      hits: cur.hits - prev.hits,
      misses: cur.misses - prev.misses,
      fromCache: cur.bytesFromCache - prev.bytesFromCache,
      fromHosts: cur.bytesFromHosts - prev.bytesFromHosts,
      prefetched: cur.prefetchedBytes - prev.prefetchedBytes,
      wasted: cur.wastedPrefetchBytes - prev.wastedPrefetchBytes,
    };
    if (cur.at <= prev.at || Object.values(d).some((v) => v < 0)) continue;
    out.push({
      at: cur.at,
      hitRatio: share(d.hits, d.hits + d.misses),
      byteHitRatio: share(d.fromCache, d.fromCache + d.fromHosts),
      prefetchedBytes: d.prefetched,
      wastedBytes: d.wasted,
    });
  }
  return out;
}

/**
 * Every edge's latest cache snapshot with its hit ratio over the last hour, and the busiest cached
 * shardlets (of one stream when asked). Edge totals cover all streams: the edges do not split
 * them by stream.
 */
export async function cacheOverview(db: ControlDb, redis: RedisClient, prefix: string, q: { stream?: string; nowMs: number }): Promise<CacheOverview> {
  const stream = q.stream ? await streamFor(db, q.stream) : null;
  const [raw, names] = await Promise.all([redis.hgetall(readCacheKeys.stats(prefix)), listStreamNames(db)]);
  // A stopped edge's snapshot stays in the hash; once its history has expired it is gone for good.
  const snapshots = Object.values(raw)
    .map((v) => parseJson(snapshotSchema, v))
    .filter((s): s is z.infer<typeof snapshotSchema> => s !== null && q.nowMs - s.at <= READ_CACHE_TTL_SEC * 1000)
    .sort((a, b) => a.edgeId.localeCompare(b.edgeId));
  const pipeline = redis.pipeline();
  for (const s of snapshots) pipeline.lrange(readCacheKeys.history(prefix, s.edgeId), 0, -1);
  const lists = snapshots.length > 0 ? ((await pipeline.exec()) ?? []) : [];

  const edges = snapshots.map((s, i) => {
    const [err, list] = lists[i] ?? [null, []];
    const history = err || !Array.isArray(list) ? [] : list.map((v) => parseJson(historySchema, String(v))).filter((h): h is HistoryEntry => h !== null);
    const reads = s.hits + s.misses;
    return {
      edgeId: s.edgeId,
      at: new Date(s.at),
      ageSec: Math.max(0, (q.nowMs - s.at) / 1000),
      reads,
      hits: s.hits,
      misses: s.misses,
      hitRatio: share(s.hits, reads),
      bytesFromCache: s.bytesFromCache,
      bytesFromHosts: s.bytesFromHosts,
      byteHitRatio: share(s.bytesFromCache, s.bytesFromCache + s.bytesFromHosts),
      hostReadsSaved: s.hostReadsSaved,
      entries: s.entries,
      bytes: s.bytes,
      maxBytes: s.maxBytes,
      budgetUsed: share(s.bytes, s.maxBytes),
      queued: s.queued,
      waiting: s.waiting ?? 0,
      prefetches: s.prefetches,
      prefetchedBytes: s.prefetchedBytes,
      wastedPrefetches: s.wastedPrefetches,
      wastedPrefetchBytes: s.wastedPrefetchBytes,
      wastedShare: share(s.wastedPrefetchBytes, s.prefetchedBytes),
      series: hitRatioSeries(history),
    };
  });

  // Several edges may cache the same shardlet: the console shows the shardlet, not the copies.
  const nameOf = new Map(names.map((n) => [n.id, n.name]));
  const byShardlet = new Map<string, CacheOverview["shardlets"][number]>();
  for (const s of snapshots) {
    for (const x of s.shardlets) {
      if (stream && x.streamId !== stream.id) continue;
      const key = `${x.streamId}\t${x.shardletId}`;
      const cur = byShardlet.get(key) ?? { streamId: x.streamId, streamName: nameOf.get(x.streamId) ?? null, shardletId: x.shardletId, range: null, state: null, hits: 0, misses: 0, hitRatio: null, bytesFromCache: 0, bytesFromHosts: 0, edges: 0 };
      cur.hits += x.hits;
      cur.misses += x.misses;
      cur.bytesFromCache += x.bytesFromCache;
      cur.bytesFromHosts += x.bytesFromHosts;
      cur.edges++;
      byShardlet.set(key, cur);
    }
  }
  const top = [...byShardlet.values()]
    .sort((a, b) => b.hits + b.misses - (a.hits + a.misses) || a.shardletId.localeCompare(b.shardletId))
    .slice(0, TOP_SHARDLETS);
  const known = new Map((await listShardletRanges(db, top.map((x) => x.shardletId))).map((r) => [r.id, r]));
  const shardlets = top.map((x) => {
    const k = known.get(x.shardletId);
    return { ...x, range: k ? { lo: k.lo, hi: k.hi } : null, state: k?.state ?? null, hitRatio: share(x.hits, x.hits + x.misses) };
  });

  return { at: new Date(q.nowMs), stream, edges, shardlets };
}
