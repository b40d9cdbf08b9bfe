import type { Redis } from "ioredis";
import { z } from "zod";
import { READ_CACHE_TTL_SEC, readCacheKeys } from "./read-cache-keys.ts";

/**
 * The shardlets the placement job pinned in the edges' shard caches (its `cache-pin` arm), and
 * the share of each edge's cache budget pinned entries may hold. The job writes the whole set at
 * every change and announces it on `pinsChannel`; edges load it at start, on the announcement and
 * with their periodic refresh (a missed message costs a few seconds, never data: a pin only
 * changes what an edge's cache keeps, never what a read returns).
 */
export const placementPinsKey = (prefix: string) => `${prefix}:placement:pins`;

/** Channel on which a changed pin set is announced (message: `{}`; edges re-read the set). */
export function pinsChannel(prefix: string): string {
  return `${prefix}:pins`;
}

const pinSetSchema = z.object({
  at: z.number(),
  budgetShare: z.number().min(0).max(1),
  pins: z.array(z.object({ streamId: z.string(), shardletId: z.string(), since: z.number() })),
});
export type PinSet = z.infer<typeof pinSetSchema>;

export async function readPinSet(redis: Redis, prefix: string): Promise<PinSet | null> {
  const raw = await redis.get(placementPinsKey(prefix));
  if (!raw) return null;
  try {
    const parsed = pinSetSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export async function writePinSet(redis: Redis, prefix: string, set: PinSet): Promise<void> {
  await redis.set(placementPinsKey(prefix), JSON.stringify(set));
  await redis.publish(pinsChannel(prefix), "{}");
}

// Edges of another version may write other shapes: those are skipped. `pinned`, `evictedMisses`
// and the going rate are absent from the snapshots of edges that predate pins (no cost is counted).
const count = z.number().finite().min(0);
const snapshotSchema = z.object({
  edgeId: z.string(),
  at: z.number(),
  maxBytes: count,
  /** What the cache's recently evicted entries were worth per byte (read chance within `horizonMs`): the price of a shielded byte. */
  marginalValuePerByte: count.default(0),
  horizonMs: count.default(0),
  shardlets: z.array(z.object({ streamId: z.string(), shardletId: z.string(), hits: count, misses: count, evictedMisses: count.default(0) })),
  pinned: z.array(z.object({ streamId: z.string(), shardletId: z.string(), bytes: count, shielded: z.boolean().default(false) })).default([]),
});
export type EdgeCacheSnapshot = z.infer<typeof snapshotSchema>;

/** Every edge's latest cache counts (snapshots older than the read cache's TTL are gone edges). */
export async function readEdgeCacheCounts(redis: Redis, prefix: string, nowMs: number): Promise<EdgeCacheSnapshot[]> {
  const out: EdgeCacheSnapshot[] = [];
  for (const raw of Object.values(await redis.hgetall(readCacheKeys.stats(prefix)))) {
    try {
      const s = snapshotSchema.safeParse(JSON.parse(raw));
      if (s.success && nowMs - s.data.at <= READ_CACHE_TTL_SEC * 1000) out.push(s.data);
    } catch {
      // not JSON: skipped like any other shape
    }
  }
  return out.sort((a, b) => a.edgeId.localeCompare(b.edgeId));
}
