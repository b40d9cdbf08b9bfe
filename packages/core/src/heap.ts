/**
 * The two steps of a binary min-heap kept in an array, for the heaps here (the prefetch queue, the
 * space-saving sketch's counters, the edge's merge of cached routes): `before(a, b)` when `a` comes
 * out first; `placed(item, at)` is told every item's new index, for heaps that find their items by
 * position. Hand-written: each heap sits on a hot path and tracks positions its own way, which a
 * general priority-queue package would hide.
 */

/** Moves the item at `i` up until its parent comes out before it. */
export function siftUp<T>(heap: T[], i: number, before: (a: T, b: T) => boolean, placed?: (item: T, at: number) => void): void {
  const item = heap[i]!;
  while (i > 0) {
    const p = (i - 1) >> 1;
    const parent = heap[p]!;
    if (!before(item, parent)) break;
    heap[i] = parent;
    placed?.(parent, i);
    i = p;
  }
  heap[i] = item;
  placed?.(item, i);
}

/** Moves the item at `i` down until no child comes out before it. */
export function siftDown<T>(heap: T[], i: number, before: (a: T, b: T) => boolean, placed?: (item: T, at: number) => void): void {
  const item = heap[i]!;
  const n = heap.length;
  for (;;) {
    const l = 2 * i + 1;
    if (l >= n) break;
    const r = l + 1;
    const c = r < n && before(heap[r]!, heap[l]!) ? r : l;
    const child = heap[c]!;
    if (!before(child, item)) break;
    heap[i] = child;
    placed?.(child, i);
    i = c;
  }
  heap[i] = item;
  placed?.(item, i);
}
