/**
 * What the edges' cache snapshots say about a placement run's window. Edges publish counters
 * cumulative since they started, per edge; the job keeps the counts it saw at its previous run and
 * takes the differences, summed over the edges, per shardlet.
 *
 * An edge restarts under a new id, so its counts start from nothing; a count that went down (the
 * edge forgot a quiet shardlet's counters and took them up again) counts from zero too. A shardlet
 * an edge did not report at the previous run (a known edge lists only its busiest shardlets, and
 * always its pinned ones) counts all it reports: for a shardlet that is newly read that is its
 * window, and the alternative, counting nothing, would hide every newly read shardlet for a run.
 */

export interface EdgeCacheCounts {
  edgeId: string;
  /** The edge's cache budget, bytes. */
  maxBytes: number;
  /** Part reads served from the cache, not, and of those not, inside what the shardlet's evicted entry held. */
  shardlets: ReadonlyArray<{ streamId: string; shardletId: string; hits: number; misses: number; evictedMisses: number }>;
  /** Its pinned shardlets, the bytes their entries hold and whether they are shielded now. */
  pinned: ReadonlyArray<{ streamId: string; shardletId: string; bytes: number; shielded: boolean }>;
  /** What its recently evicted entries were worth per byte (a read chance within `horizonMs`); 0: unknown. */
  marginalValuePerByte: number;
  horizonMs: number;
}

/** Cumulative `[hits, misses, evictedMisses]` per edge and `stream \t shardlet`, as last seen. */
export type SeenCacheCounts = Record<string, Record<string, number[]>>;

export interface WindowReads {
  streamId: string;
  shardletId: string;
  hits: number;
  misses: number;
  evictedMisses: number;
}

export interface CacheWindow {
  /** Per shardlet id: part reads in the window, summed over the edges. */
  reads: Map<string, WindowReads>;
  /**
   * Per pinned shardlet id: the reads its shielded entries are expected to have cost the rest of
   * the caches over the window (bytes x going rate x horizons in the window, summed over the edges).
   */
  displaced: Map<string, number>;
  /** What to pass as `seen` at the next run. */
  seen: SeenCacheCounts;
}

export function cacheWindow(seen: SeenCacheCounts, edges: readonly EdgeCacheCounts[], windowMs: number): CacheWindow {
  const reads = new Map<string, WindowReads>();
  const next: SeenCacheCounts = {};
  const displaced = new Map<string, number>();
  for (const e of edges) {
    const before = seen[e.edgeId] ?? {};
    const now: Record<string, number[]> = {};
    for (const s of e.shardlets) {
      const key = `${s.streamId}\t${s.shardletId}`;
      const counts = [s.hits, s.misses, s.evictedMisses];
      now[key] = counts;
      const was = before[key] ?? [];
      const reset = counts.some((n, i) => n < (was[i] ?? 0));
      const d = counts.map((n, i) => (reset ? n : n - (was[i] ?? 0)));
      const cur = reads.get(s.shardletId) ?? { streamId: s.streamId, shardletId: s.shardletId, hits: 0, misses: 0, evictedMisses: 0 };
      cur.hits += d[0]!;
      cur.misses += d[1]!;
      cur.evictedMisses += d[2]!;
      reads.set(s.shardletId, cur);
    }
    next[e.edgeId] = now;
    // The shield as the edge holds it now stands for the whole window: the job sees no more.
    const horizons = e.horizonMs > 0 ? Math.max(0, windowMs) / e.horizonMs : 0;
    for (const p of e.pinned) {
      if (!p.shielded || !(p.bytes > 0)) continue;
      displaced.set(p.shardletId, (displaced.get(p.shardletId) ?? 0) + p.bytes * Math.max(0, e.marginalValuePerByte) * horizons);
    }
  }
  return { reads, displaced, seen: next };
}
