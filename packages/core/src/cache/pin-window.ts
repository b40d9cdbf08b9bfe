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
  shardlets: ReadonlyArray<{ streamId: string; shardletId: string; hits: number; misses: number }>;
  /** Its pinned shardlets and the bytes their entries hold. */
  pinned: ReadonlyArray<{ streamId: string; shardletId: string; bytes: number }>;
}

/** Cumulative `[hits, misses]` per edge and `stream \t shardlet`, as last seen. */
export type SeenCacheCounts = Record<string, Record<string, [number, number]>>;

export interface WindowReads {
  streamId: string;
  shardletId: string;
  hits: number;
  misses: number;
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
    const now: Record<string, [number, number]> = {};
    for (const s of e.shardlets) {
      const key = `${s.streamId}\t${s.shardletId}`;
      now[key] = [s.hits, s.misses];
      const [h0, m0] = before[key] ?? [0, 0];
      const reset = s.hits < h0 || s.misses < m0;
      const d = { hits: reset ? s.hits : s.hits - h0, misses: reset ? s.misses : s.misses - m0 };
      const cur = reads.get(s.shardletId) ?? { streamId: s.streamId, shardletId: s.shardletId, hits: 0, misses: 0 };
      cur.hits += d.hits;
      cur.misses += d.misses;
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
