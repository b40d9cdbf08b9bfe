import { siftDown, siftUp } from "../heap.ts";
/**
 * Space-Saving heavy hitters (Metwally, Agrawal, El Abbadi, "Efficient computation of frequent and
 * top-k elements in data streams", 2005): at most `capacity` counters; an unmonitored item evicts
 * the smallest counter and inherits its count as its error. For every monitored item
 * `count - error <= true count <= count`, and any item whose true count exceeds total / capacity
 * is monitored. Counters sit in a binary min-heap indexed by a map, so an update costs O(log k).
 */
export interface HeavyHitter {
  item: string;
  /** Upper bound of the item's true count. */
  count: number;
  /** Most the count can overstate: the true count is at least `count - error`. */
  error: number;
}

/** A monitored item with the count the sketch can vouch for. */
export interface GuaranteedCount {
  item: string;
  /** Lower bound of the item's true count: `count - error`. */
  seen: number;
}

/** Lower bound of an item's true count: what its counter holds beyond what it inherited. */
export function guaranteedCount(e: HeavyHitter): number {
  return Math.max(0, e.count - e.error);
}

/** Numbers by value (13.58 before 147.61), anything else as text. */
function byValue(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (a.trim() !== "" && b.trim() !== "" && Number.isFinite(x) && Number.isFinite(y) && x !== y) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The entries ranked by what each item was certainly seen, most first, keeping at most `k`.
 * `count` also holds what a counter inherited from the items it evicted: over items that are
 * nearly all distinct every counter holds about total / capacity, which reads as a dozen items each
 * taking 1 / capacity of the stream. Only `count - error` belongs to the item itself, so items
 * with none of it are dropped, and a real heavy hitter still stands out (its error is what it
 * missed before it was monitored, at most total / capacity).
 */
export function guaranteedTop(entries: readonly HeavyHitter[], k = entries.length): GuaranteedCount[] {
  return entries
    .map((e) => ({ item: e.item, seen: guaranteedCount(e) }))
    .filter((e) => e.seen > 0)
    .sort((a, b) => b.seen - a.seen || byValue(a.item, b.item))
    .slice(0, Math.max(0, k));
}

/** A summary as plain data (Redis fields, JSON columns): capacity, total and `[item, count, error]` entries. */
export interface SpaceSavingData {
  c: number;
  t: number;
  e: Array<[string, number, number]>;
}

interface Counter {
  item: string;
  count: number;
  error: number;
  /** Position in the heap. */
  at: number;
}

const fewer = (a: Counter, b: Counter): boolean => a.count < b.count;
const placed = (c: Counter, at: number): void => {
  c.at = at;
};

export class SpaceSaving {
  readonly capacity: number;
  /** Min-heap by count; each counter knows its position, so sifting touches no map. */
  #heap: Counter[] = [];
  readonly #byItem = new Map<string, Counter>();
  #total = 0;

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`space-saving: capacity must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
  }

  /** Items currently monitored. */
  get size(): number {
    return this.#heap.length;
  }

  /** Sum of every weight added (the stream length). */
  get total(): number {
    return this.#total;
  }

  /**
   * Smallest monitored count once every counter is in use (0 before): no unmonitored item can have
   * occurred more often than this.
   */
  get minCount(): number {
    return this.#heap.length < this.capacity ? 0 : (this.#heap[0]?.count ?? 0);
  }

  add(item: string, weight = 1): void {
    if (weight <= 0) return;
    this.#total += weight;
    const hit = this.#byItem.get(item);
    if (hit) {
      hit.count += weight;
      this.#siftDown(hit);
      return;
    }
    const heap = this.#heap;
    if (heap.length < this.capacity) {
      const c: Counter = { item, count: weight, error: 0, at: heap.length };
      heap.push(c);
      this.#byItem.set(item, c);
      this.#siftUp(c);
      return;
    }
    // Replace the minimum: the newcomer may have occurred up to `min` times while unmonitored.
    const min = heap[0]!;
    this.#byItem.delete(min.item);
    min.item = item;
    min.error = min.count;
    min.count += weight;
    this.#byItem.set(item, min);
    this.#siftDown(min);
  }

  /**
   * Multiplies every count, error and the total by `factor` (0 < factor <= 1): exponential decay,
   * so items that went quiet give way to new ones. Scaling keeps the heap's order.
   */
  scale(factor: number): void {
    if (!(factor > 0 && factor <= 1)) throw new RangeError(`space-saving: scale factor must be in (0, 1], got ${factor}`);
    for (const c of this.#heap) {
      c.count *= factor;
      c.error *= factor;
    }
    this.#total *= factor;
  }

  /** The monitored entry for `item`, or null. */
  get(item: string): HeavyHitter | null {
    const c = this.#byItem.get(item);
    return c ? { item, count: c.count, error: c.error } : null;
  }

  /** Up to `k` entries, highest count first (ties by item, so the order is deterministic). */
  top(k = this.capacity): HeavyHitter[] {
    const all = this.#heap.map((c) => ({ item: c.item, count: c.count, error: c.error }));
    all.sort((a, b) => b.count - a.count || (a.item < b.item ? -1 : a.item > b.item ? 1 : 0));
    return all.slice(0, Math.max(0, k));
  }

  /**
   * Merges another summary into this one (Agarwal et al., "Mergeable summaries", 2012): an item
   * missing from one side may have occurred up to that side's `minCount` times, so it is charged
   * that much, as count and as error; then the largest `capacity` counters are kept.
   */
  merge(other: SpaceSaving): void {
    const m1 = this.minCount;
    const m2 = other.minCount;
    const merged = new Map<string, { count: number; error: number }>();
    for (const e of this.top()) {
      const o = other.get(e.item);
      merged.set(e.item, o ? { count: e.count + o.count, error: e.error + o.error } : { count: e.count + m2, error: e.error + m2 });
    }
    for (const o of other.top()) {
      if (merged.has(o.item)) continue;
      merged.set(o.item, { count: o.count + m1, error: o.error + m1 });
    }
    const total = this.#total + other.total;
    const keep = [...merged].sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1)).slice(0, this.capacity);
    this.#heap = [];
    this.#byItem.clear();
    for (const [item, { count, error }] of keep) {
      const c: Counter = { item, count, error, at: this.#heap.length };
      this.#heap.push(c);
      this.#byItem.set(item, c);
      this.#siftUp(c);
    }
    this.#total = total;
  }

  toData(): SpaceSavingData {
    return { c: this.capacity, t: this.#total, e: this.top().map((e) => [e.item, e.count, e.error]) };
  }

  /** The summary `toData` wrote; malformed entries are skipped (telemetry never fails a rollup). */
  static fromData(d: unknown, capacity: number): SpaceSaving {
    const out = new SpaceSaving(capacity);
    const o = (d ?? {}) as Partial<Record<keyof SpaceSavingData, unknown>>;
    const entries = Array.isArray(o.e) ? o.e : [];
    const valid = entries
      .filter((e): e is [string, number, number] => Array.isArray(e) && typeof e[0] === "string" && Number.isFinite(e[1]) && Number.isFinite(e[2]) && e[1] > 0)
      .sort((a, b) => b[1] - a[1])
      .slice(0, capacity);
    for (const [item, count, error] of valid) {
      if (out.#byItem.has(item)) continue;
      const c: Counter = { item, count, error: Math.max(0, Math.min(error, count)), at: out.#heap.length };
      out.#heap.push(c);
      out.#byItem.set(item, c);
      out.#siftUp(c);
    }
    const listed = valid.reduce((sum, e) => sum + e[1], 0);
    out.#total = typeof o.t === "number" && Number.isFinite(o.t) && o.t >= 0 ? Math.max(o.t, 0) : listed;
    return out;
  }

  #siftUp(c: Counter): void {
    siftUp(this.#heap, c.at, fewer, placed);
  }

  #siftDown(c: Counter): void {
    siftDown(this.#heap, c.at, fewer, placed);
  }
}
