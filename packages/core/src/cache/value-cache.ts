import type { Prediction, ValueCacheOptions } from "./value-cache-options.ts";

export type { Departure, Prediction, ValueCacheOptions } from "./value-cache-options.ts";

/**
 * The eviction policy of every predictive byte-budget cache here: the edge's shard cache and the
 * benchmark's simulation of it use this one class, so the benchmark measures what ships.
 *
 * The rule is the one the prefetcher promises: never evict something more likely to be read than
 * what comes in. Every entry is worth the probability that it is read within the next `horizonMs`
 * (one correlation step, the resolution of a prediction), per byte of budget it takes:
 *
 * - a prefetched (or announced) entry is worth its predicted probability while the prediction
 *   holds, spread evenly over the time left to `until` so that a read due any moment outranks
 *   the same chance spread over several steps;
 * - any entry is also worth what its own reads say (`readChance`), and once a prediction has
 *   lapsed that is all it is worth: an announced read that never came counts for nothing.
 *
 * Room is made cheapest value per byte first, least recently used first among equals (so with no
 * predictions and equal reads it is LRU). A demand fill always gets in: the read has happened and
 * its bytes are here anyway. A prefetch evicts only entries worth strictly less per byte than
 * itself; when those cannot free enough room it evicts nothing and is refused (`skipped`).
 *
 * Pure and synchronous: the caller passes the time, so a simulation replays it exactly.
 */

interface Slot<V> {
  value: V;
  bytes: number;
  prefetched: boolean;
  p: number;
  until: number;
  /** When it came in: its exposure to reads runs from here. */
  since: number;
  /** Read episodes (reads more than a horizon apart), decayed to the start of the latest, `lastRead` (-Infinity: never read). */
  episodes: number;
  lastRead: number;
}

/** What an entry's worth depends on. */
type State = Omit<Slot<unknown>, "value">;

/**
 * Horizons of exposure a fresh entry is credited with before its own reads count: one read
 * episode in that many horizons is the prior rate. Chosen on seeds the cache benchmark does not
 * report (1-8 and half-lives of 10-100 horizons moved its hit ratio by under 2%; a larger prior
 * refuses fewer prefetches, a smaller one protects once-read entries more).
 */
const PRIOR_HORIZONS = 4;
const DEFAULT_HALF_LIFE_HORIZONS = 30;
/**
 * Chosen on seeds the cache benchmark does not report: refusing prefetches below twice the going
 * rate cut the prefetched bytes evicted unread by about 0.05 of those prefetched for 0.005 of hit
 * ratio; 3 and 5 cut a little more waste and lost more hits.
 */
const DEFAULT_CUT_MARGIN = 2;
/** About 100 bytes each: enough for every shardlet an edge reads in practice, small beside any budget. */
const DEFAULT_HISTORY_ENTRIES = 4096;

/** The chance of at least one read within `span` of `within`, from chance `p` over `within` at a steady rate. */
export function spreadChance(p: number, within: number, span: number): number {
  if (!(p > 0)) return 0;
  if (!(within > span)) return Math.min(p, 1);
  return 1 - Math.pow(1 - Math.min(p, 1 - 1e-9), span / within);
}

export class ValueCache<V> {
  readonly #slots = new Map<string, Slot<V>>();
  // Read histories of evicted entries, oldest eviction first. Misses are reads too, so a history
  // stays complete while its entry is out: a shardlet read every few steps that keeps losing its
  // entry to a burst of one-off reads is not mistaken for one of them when it returns.
  readonly #history = new Map<string, Pick<Slot<V>, "since" | "episodes" | "lastRead">>();
  readonly #decayPerMs: number;
  #used = 0;
  // The highest value per byte a demand fill evicted, decayed over a horizon: the cache's going
  // rate. A prefetch worth less is next in line once the following misses come, long before its
  // read is due (most prefetched bytes evicted unread went that way), so it is not fetched.
  #cut = 0;
  #cutAt = -Infinity;
  /** Prefetches refused because only more valuable entries could have made room. */
  skipped = 0;

  constructor(private readonly opts: ValueCacheOptions<V>) {
    if (!(opts.horizonMs > 0)) throw new RangeError("value cache: horizonMs must be positive");
    this.#decayPerMs = Math.LN2 / (opts.halfLifeMs ?? DEFAULT_HALF_LIFE_HORIZONS * opts.horizonMs);
  }

  get size(): number {
    return this.#slots.size;
  }

  get bytes(): number {
    return this.#used;
  }

  get maxBytes(): number {
    return this.opts.maxBytes;
  }

  has(key: string): boolean {
    return this.#slots.has(key);
  }

  /** The value without counting a read. */
  peek(key: string): V | undefined {
    return this.#slots.get(key)?.value;
  }

  /** Entries, least recently read first, each with whether it is a prefetch not read yet. */
  *entries(): IterableIterator<[key: string, value: V, unreadPrefetch: boolean]> {
    for (const [k, s] of this.#slots) yield [k, s.value, s.prefetched];
  }

  /** A read served from the entry: it becomes the most recent and its read history counts it. */
  read(key: string, now: number): V | undefined {
    const s = this.#slots.get(key);
    if (!s) return undefined;
    // Reads within one horizon are one episode: a burst says no more about the next horizon than one read.
    if (!(now - s.lastRead < this.opts.horizonMs)) [s.episodes, s.lastRead] = [this.#episodes(s, now) + 1, now];
    s.prefetched = false;
    this.#slots.delete(key);
    this.#slots.set(key, s);
    return s.value;
  }

  /**
   * Stores `value` under `key`: a demand fill without `prediction` (always admitted, a new entry
   * counts the read that filled it), a prefetch with one (admitted only if it evicts nothing worth
   * as much per byte). An existing entry keeps its history and stays prefetched only if it was and
   * this is a prefetch. False when not stored (too large, or a refused prefetch; an existing entry
   * is then left as it was).
   */
  fill(key: string, value: V, bytes: number, now: number, prediction?: Prediction): boolean {
    const old = this.#slots.get(key);
    if (bytes > this.opts.maxBytes) return false;
    const s: Slot<V> = { ...this.#incoming(key, bytes, now, prediction), value };
    const need = bytes - (old?.bytes ?? 0);
    const perByte = this.#worth(s, now) / Math.max(1, bytes);
    let victims = prediction && !this.#aboveCut(perByte, now) ? null : this.#victims(need, now, prediction ? perByte : null, key);
    if (!victims && !prediction) victims = this.#victims(need, now, null, key, false); // the read happened: shielded entries make room
    if (!victims) {
      this.skipped++;
      return false;
    }
    if (!prediction && victims.length > 0) this.#raiseCut(victims, now);
    for (const v of victims) this.delete(v, now);
    this.#history.delete(key);
    this.#used += need;
    this.#slots.delete(key);
    this.#slots.set(key, s);
    return true;
  }

  /** The slot a fill would store (its value aside), with the history of an entry evicted earlier. */
  #incoming(key: string, bytes: number, now: number, prediction: Prediction | undefined): State {
    const old = this.#slots.get(key);
    if (old) {
      const s = { ...old, bytes, prefetched: old.prefetched && prediction !== undefined };
      if (prediction) this.#announce(s, prediction, now);
      return s;
    }
    const past = this.#history.get(key);
    const s = { bytes, prefetched: prediction !== undefined, p: 0, until: -Infinity, since: past?.since ?? now, episodes: past?.episodes ?? 0, lastRead: past?.lastRead ?? -Infinity };
    // A demand fill is a read (one episode, unless it continues the last one).
    if (!prediction && !(now - s.lastRead < this.opts.horizonMs)) [s.episodes, s.lastRead] = [this.#episodes(s, now) + 1, now];
    if (prediction) this.#announce(s, prediction, now);
    return s;
  }

  /** A read of an entry already here is announced: the prediction protects it while it holds. */
  predict(key: string, prediction: Prediction, now: number): void {
    const s = this.#slots.get(key);
    if (s) this.#announce(s, prediction, now);
  }

  /** Removes an entry (`now` given: evicted then, for `Departure.early`). */
  delete(key: string, now?: number): boolean {
    const s = this.#slots.get(key);
    if (!s) return false;
    this.#slots.delete(key);
    this.#used -= s.bytes;
    const keep = this.opts.historyEntries ?? DEFAULT_HISTORY_ENTRIES;
    if (now !== undefined && keep > 0 && s.episodes > 0) {
      this.#history.delete(key);
      this.#history.set(key, { since: s.since, episodes: s.episodes, lastRead: s.lastRead });
      for (const k of this.#history.keys()) {
        if (this.#history.size <= keep) break;
        this.#history.delete(k);
      }
    }
    this.opts.onEvict?.(key, s.value, { unreadPrefetch: s.prefetched, early: now !== undefined && now <= s.until });
    return true;
  }

  /** What the entry is worth per byte at `now` (the eviction order; 0 when absent). */
  valuePerByte(key: string, now: number): number {
    const s = this.#slots.get(key);
    return s ? this.#worth(s, now) / Math.max(1, s.bytes) : 0;
  }

  /** The chance of a read within the next horizon that an entry's own reads give. */
  readChance(key: string, now: number): number {
    const s = this.#slots.get(key);
    return s ? this.#fromReads(s, now) : 0;
  }

  // A later, likelier or lapsed-and-renewed prediction replaces the one held; a weaker one that
  // would cut a stronger one short does not.
  #announce(s: State, pr: Prediction, now: number): void {
    if (pr.p >= s.p || now > s.until) [s.p, s.until] = [pr.p, pr.until];
  }

  // Closed forms of the decayed counts rather than running sums, so entries with the same history
  // are worth exactly the same (ties fall to recency) however often each was looked at.
  #episodes(s: State, now: number): number {
    return s.episodes > 0 ? s.episodes * Math.exp(-this.#decayPerMs * Math.max(0, now - s.lastRead)) : 0;
  }

  /** The chance of a read within a horizon that the entry's own reads give: episodes per decayed horizon in the cache, after a prior. */
  #fromReads(s: State, now: number): number {
    const exposure = (1 - Math.exp(-this.#decayPerMs * Math.max(0, now - s.since))) / this.#decayPerMs;
    const rate = this.#episodes(s, now) / (exposure / this.opts.horizonMs + PRIOR_HORIZONS);
    return 1 - Math.exp(-rate);
  }

  #worth(s: State, now: number): number {
    const reads = this.#fromReads(s, now);
    return now <= s.until ? Math.max(reads, spreadChance(s.p, s.until - now, this.opts.horizonMs)) : reads;
  }

  /**
   * Whether a prefetch of `bytes` under `key` would be admitted now, without changing anything: a
   * fetch whose result would be refused need not be made.
   */
  admits(key: string, bytes: number, now: number, prediction: Prediction): boolean {
    if (bytes > this.opts.maxBytes) return false;
    const perByte = this.#worth(this.#incoming(key, bytes, now, prediction), now) / Math.max(1, bytes);
    if (!this.#aboveCut(perByte, now)) return false;
    return this.#victims(bytes - (this.#slots.get(key)?.bytes ?? 0), now, perByte, key) !== null;
  }

  /**
   * The going rate: what the entries evicted lately were worth per byte (decayed over a horizon),
   * i.e. the reads per byte and horizon the cache gives up at its margin; what shielding a byte costs.
   */
  marginalValuePerByte(now: number): number {
    return this.#cutNow(now);
  }

  #cutNow(now: number): number {
    return this.#cut * Math.exp(-Math.max(0, now - this.#cutAt) / this.opts.horizonMs);
  }

  #aboveCut(perByte: number, now: number): boolean {
    const margin = this.opts.cutMargin ?? DEFAULT_CUT_MARGIN;
    return !(margin > 0) || perByte > margin * this.#cutNow(now);
  }

  #raiseCut(victims: readonly string[], now: number): void {
    let top = 0;
    for (const k of victims) top = Math.max(top, this.valuePerByte(k, now));
    const cur = this.#cutNow(now);
    [this.#cut, this.#cutAt] = [Math.max(cur, top), now];
  }

  /**
   * What must go for `bytes` more to fit (sparing `keep`, and the shielded entries with `shield`):
   * cheapest per byte first, least recent first among equals. With `below` set only entries worth
   * strictly less per byte may go, and null when they cannot free enough.
   */
  #victims(bytes: number, now: number, below: number | null, keep: string, shield = true): string[] | null {
    const over = this.#used + bytes - this.opts.maxBytes;
    if (over <= 0) return [];
    const spared = shield ? this.opts.shielded?.(now) : undefined;
    const candidates: Array<{ key: string; v: number; bytes: number }> = [];
    for (const [key, s] of this.#slots) {
      if (key === keep || spared?.has(key)) continue;
      const v = this.#worth(s, now) / Math.max(1, s.bytes);
      if (below === null || v < below) candidates.push({ key, v, bytes: s.bytes });
    }
    // Stable: among equal values the Map's order, least recent first, decides.
    candidates.sort((x, y) => x.v - y.v);
    const victims: string[] = [];
    let freed = 0;
    for (const c of candidates) {
      if (freed >= over) break;
      victims.push(c.key);
      freed += c.bytes;
    }
    return freed >= over ? victims : null;
  }
}
