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
  /** Its pinned shardlets and the bytes their entries hold. */
  pinned: ReadonlyArray<{ streamId: string; shardletId: string; bytes: number }>;
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
  /** Per pinned shardlet id: the bytes its entries hold over the pin budget of the edges holding them. */
  budgetShare: Map<string, number>;
  /** What to pass as `seen` at the next run. */
  seen: SeenCacheCounts;
}

export function cacheWindow(seen: SeenCacheCounts, edges: readonly EdgeCacheCounts[], pinBudgetShare: number): CacheWindow {
  const reads = new Map<string, WindowReads>();
  const next: SeenCacheCounts = {};
  const held = new Map<string, { bytes: number; budget: number }>();
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
    for (const p of e.pinned) {
      if (!(p.bytes > 0)) continue;
      const h = held.get(p.shardletId) ?? { bytes: 0, budget: 0 };
      h.bytes += p.bytes;
      h.budget += pinBudgetShare * e.maxBytes;
      held.set(p.shardletId, h);
    }
  }
  const budgetShare = new Map([...held].map(([id, h]) => [id, h.budget > 0 ? Math.min(1, h.bytes / h.budget) : 1]));
  return { reads, budgetShare, seen: next };
}
