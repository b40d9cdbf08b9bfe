import { siftDown, siftUp } from "../heap.ts";
import type { Prediction } from "./value-cache-options.ts";

/** A prefetch request: bring `shardletId` to `target` before `dueAt`, its predicted first read. */
export interface PrefetchEntry {
  shardletId: string;
  /** Predicted probability that the shardlet is read by then. */
  p: number;
  /** Predicted arrival of the read, ms. */
  dueAt: number;
  target: string | null;
  bytes?: number | undefined;
}

/** Earlier due first; at the same time the likelier first, then by id so the order is total. */
function before(x: PrefetchEntry, y: PrefetchEntry): boolean {
  if (x.dueAt !== y.dueAt) return x.dueAt < y.dueAt;
  if (x.p !== y.p) return x.p > y.p;
  return x.shardletId < y.shardletId;
}

/**
 * Prefetch requests ordered by predicted arrival time, one per shardlet. A binary min-heap written
 * here rather than a priority-queue package: it is thirty lines, and the update-in-place that
 * deduplication needs (an index per shardlet) is not in the usual packages' API anyway.
 */
export class PrefetchQueue {
  /** A request is started this long before its due time (the fetch's expected duration). */
  readonly leadMs: number;
  #heap: PrefetchEntry[] = [];
  #at = new Map<string, number>();

  constructor(opts: { leadMs?: number } = {}) {
    this.leadMs = Math.max(0, opts.leadMs ?? 0);
  }

  get size(): number {
    return this.#heap.length;
  }

  has(shardletId: string): boolean {
    return this.#at.has(shardletId);
  }

  /**
   * Adds a request. For a shardlet already queued the two merge: the earlier due time (the sooner
   * prediction is the one that must not be missed), the higher probability with its target, and the
   * larger known size.
   */
  push(entry: PrefetchEntry): void {
    const i = this.#at.get(entry.shardletId);
    if (i === undefined) {
      this.#heap.push({ ...entry });
      this.#at.set(entry.shardletId, this.#heap.length - 1);
      this.#up(this.#heap.length - 1);
      return;
    }
    const cur = this.#heap[i]!;
    const merged: PrefetchEntry = {
      shardletId: cur.shardletId,
      dueAt: Math.min(cur.dueAt, entry.dueAt),
      p: Math.max(cur.p, entry.p),
      target: entry.p > cur.p ? entry.target : cur.target,
      bytes: cur.bytes === undefined ? entry.bytes : entry.bytes === undefined ? cur.bytes : Math.max(cur.bytes, entry.bytes),
    };
    this.#heap[i] = merged;
    // Both keys only move the entry earlier, so sifting up restores the order.
    this.#up(i);
  }

  /** The `n` next requests in order, for display (the queue is unchanged). */
  peek(n = 10): PrefetchEntry[] {
    return [...this.#heap]
      .sort((x, y) => (before(x, y) ? -1 : before(y, x) ? 1 : 0))
      .slice(0, Math.max(0, n))
      .map((e) => ({ ...e }));
  }

  /**
   * Removes and returns the requests due to start (dueAt - leadMs <= now), in due order, while
   * `budgetBytes` lasts. One that does not fit what is left of the budget stays queued and smaller
   * later ones may go ahead, so one large shardlet does not hold up the bandwidth.
   */
  take(now: number, budgetBytes: number, sizeOf: (shardletId: string) => number): PrefetchEntry[] {
    const out: PrefetchEntry[] = [];
    const skipped: PrefetchEntry[] = [];
    let left = budgetBytes;
    while (this.#heap.length > 0 && this.#heap[0]!.dueAt - this.leadMs <= now && left > 0) {
      const e = this.#pop();
      const bytes = e.bytes ?? sizeOf(e.shardletId);
      if (bytes <= left) {
        left -= bytes;
        out.push({ ...e, bytes });
      } else skipped.push(e);
    }
    for (const e of skipped) this.push(e);
    return out;
  }

  /** Drops requests due before `t` (their read has passed, or was never coming); returns them. */
  dropBefore(t: number): PrefetchEntry[] {
    const out: PrefetchEntry[] = [];
    while (this.#heap.length > 0 && this.#heap[0]!.dueAt < t) out.push(this.#pop());
    return out;
  }

  #pop(): PrefetchEntry {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    this.#at.delete(top.shardletId);
    if (heap.length > 0) {
      heap[0] = last;
      this.#at.set(last.shardletId, 0);
      this.#down(0);
    }
    return top;
  }

  readonly #placed = (e: PrefetchEntry, at: number): void => {
    this.#at.set(e.shardletId, at);
  };

  #up(i: number): void {
    siftUp(this.#heap, i, before, this.#placed);
  }

  #down(i: number): void {
    siftDown(this.#heap, i, before, this.#placed);
  }
}

/**
 * Steps before its predicted read that a prefetch starts, on the edges and in the benchmark. A
 * prediction names the step of the read, not the moment within it, so one step: started half a
 * step later, a read early in its step finds nothing yet (fewer hits and more waste on seeds the
 * benchmark does not report); a step and a half earlier only holds the bytes longer.
 */
export const PREFETCH_LEAD_STEPS = 1;

/**
 * A predicted read as the cache holds it: it may come until a step after its predicted step (two
 * steps kept more lapsed prefetches in the cache and lost hits on seeds the benchmark does not report).
 */
export function predictedRead(p: number, dueAt: number, stepMs: number): Prediction {
  return { p, until: dueAt + stepMs };
}
