import type { Cursor } from "@shardcast/core";

/** Evicted intervals remembered: as many as the value cache keeps read histories of. */
const GONE_KEPT = 4096;

/**
 * The interval each shardlet's last evicted entry held (the most recent evictions, keyed as the
 * shard cache keys its entries: `stream \t shardlet`): a miss inside it is one a longer-kept entry
 * would have served, what a pin can save. A read past it (new events) or of a shardlet never
 * cached would have missed anyway.
 */
export class EvictedIntervals {
  private readonly gone = new Map<string, { from: number; to: number }>();

  /** Remembers what an entry held as it leaves; the oldest memories go first past the limit. */
  record(key: string, interval: { from: number; to: number }): void {
    this.gone.delete(key);
    this.gone.set(key, { from: interval.from, to: interval.to });
    for (const k of this.gone.keys()) {
      if (this.gone.size <= GONE_KEPT) break;
      this.gone.delete(k);
    }
  }

  /** Whether a read from `cursor` that found no entry starts inside what the key's evicted entry held. */
  covers(key: string, cursor: Cursor): boolean {
    const g = this.gone.get(key);
    if (!g || cursor.length === 0) return false;
    let low = Number.POSITIVE_INFINITY;
    for (const s of cursor) low = Math.min(low, s.after);
    return g.from <= low && low < g.to;
  }

  /** Forgets every key that starts with `prefix` (a stream's entries). */
  forget(prefix: string): void {
    for (const key of [...this.gone.keys()]) if (key.startsWith(prefix)) this.gone.delete(key);
  }
}
