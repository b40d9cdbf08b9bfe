import { CorrelationEngine, type CorrelationOptions, type PrefetchTarget } from "./correlation-engine.ts";
import { ByteCache, type CacheEntry } from "./byte-cache.ts";
import { PrefetchQueue, shouldEvictFor } from "./prefetch-queue.ts";

/**
 * Byte-budget cache policies replayed over a read trace, for the benchmark. An object is a
 * shardlet's tail (id = shardlet id, size = the read's bytes); every read miss is a demand fetch
 * that inserts the object, in all policies. Writes matter only to the predictive policy, as the
 * events it learns from.
 */
export type CacheTraceEvent =
  | { t: number; kind: "write"; type: string; shardletId: string }
  | { t: number; kind: "read"; shardletId: string; bytes: number; target?: string | undefined };

export interface CacheSimResult {
  hits: number;
  misses: number;
  hitRatio: number;
  bytesRead: number;
  bytesFromCache: number;
  /** Bytes fetched ahead of a read. */
  prefetchedBytes: number;
  /** Prefetched bytes evicted (or still cached at the end) without having been read. */
  prefetchedWastedBytes: number;
}

export interface PredictiveCacheOptions {
  /** Prefetch a shardlet when an event predicts its read with at least this probability. */
  threshold: number;
  /** One engine step, ms (a telemetry bucket). */
  stepMs: number;
  engine?: Partial<CorrelationOptions>;
  /** Prefetch transfer per step, bytes. */
  bandwidthBytesPerStep: number;
  /** A prefetch starts this many steps before the predicted read (default 1: the prediction's resolution). */
  leadSteps?: number;
  /** Passed to the engine's `predict` (its defaults otherwise), as the product's settings do. */
  minLift?: number;
  topPerType?: number;
}

interface Tally {
  hits: number;
  misses: number;
  bytesRead: number;
  bytesFromCache: number;
}

function result(t: Tally, prefetchedBytes: number, prefetchedWastedBytes: number): CacheSimResult {
  const n = t.hits + t.misses;
  return { ...t, hitRatio: n > 0 ? t.hits / n : 0, prefetchedBytes, prefetchedWastedBytes };
}

function count(t: Tally, hit: boolean, bytes: number): void {
  t.bytesRead += bytes;
  if (hit) {
    t.hits++;
    t.bytesFromCache += bytes;
  } else t.misses++;
}

function checkOrder(trace: readonly CacheTraceEvent[]): void {
  for (let i = 1; i < trace.length; i++) if (trace[i]!.t < trace[i - 1]!.t) throw new RangeError(`cache trace: event ${i} is earlier than the one before it`);
}

/** The chance of a read within one step, from `p` over `steps` steps at a steady rate. */
function perStep(p: number, steps: number): number {
  if (!(p > 0)) return 0;
  return 1 - Math.pow(1 - Math.min(p, 1 - 1e-9), 1 / Math.max(1, steps));
}

export function simulateLru(trace: readonly CacheTraceEvent[], budgetBytes: number): CacheSimResult {
  checkOrder(trace);
  const cache = new ByteCache(budgetBytes);
  const t: Tally = { hits: 0, misses: 0, bytesRead: 0, bytesFromCache: 0 };
  for (const ev of trace) if (ev.kind === "read") count(t, cache.read(ev.shardletId, ev.bytes, 0), ev.bytes);
  return result(t, 0, 0);
}

/**
 * LRU plus prefetch. A `CorrelationEngine` is trained online (a step enters it once it is over, so
 * predictions use the past only); on a write of type A every shardlet the engine predicts for A
 * with p >= threshold is queued, due at the predicted read, and due requests are fetched within
 * the step's bandwidth. Eviction goes least recent first but never removes an entry worth at least
 * the newcomer (`shouldEvictFor`): a cached entry is worth its own active prediction or, without
 * one, the engine's read probability for it given when it was last read; a prefetch is worth its
 * prediction, a demand fetch its chance of being read again soon. A prefetch that cannot free
 * enough room is dropped; a demand fetch always gets in, evicting the least worth if it must.
 */
export function simulatePredictive(trace: readonly CacheTraceEvent[], budgetBytes: number, opts: PredictiveCacheOptions): CacheSimResult {
  checkOrder(trace);
  const stepMs = opts.stepMs;
  if (!(stepMs > 0)) throw new RangeError("cache simulation: stepMs must be positive");
  const engine = new CorrelationEngine(opts.engine);
  const queue = new PrefetchQueue({ leadMs: (opts.leadSteps ?? 1) * stepMs });
  const cache = new ByteCache(budgetBytes);
  const sizes = new Map<string, number>();
  const t: Tally = { hits: 0, misses: 0, bytesRead: 0, bytesFromCache: 0 };
  let prefetched = 0;
  let step = trace.length > 0 ? Math.floor(trace[0]!.t / stepMs) : 0;
  let budget = opts.bandwidthBytesPerStep;
  let types = new Map<string, number>();
  let reads = new Map<string, Map<string | undefined, number>>();
  const rows = new Map<string, Record<string, PrefetchTarget>>();

  const close = (): void => {
    const obs = new Map<string, { count: number; target?: string | undefined }>();
    for (const [id, byTarget] of reads) {
      let n = 0;
      let target: string | undefined;
      let best = 0;
      for (const [k, c] of byTarget) {
        n += c;
        if (k !== undefined && c > best) [target, best] = [k, c];
      }
      obs.set(id, { count: n, target });
    }
    engine.step({ types, reads: obs });
    types = new Map();
    reads = new Map();
    rows.clear();
    step++;
    budget = opts.bandwidthBytesPerStep;
  };

  const window = engine.options.maxLagSteps;
  /**
   * What an entry is worth: the probability of a read within the next step. Predictions hold over
   * different spans (a prefetch's until its read is overdue, the engine's read probability over
   * its whole lag window), so each is brought to one step assuming reads at a steady rate within
   * its span; otherwise a popular entry's 6-step chance would outrank a read due any moment.
   */
  const recent = (id: string, since: number | undefined): number => perStep(engine.readProbability(id, since), window);
  const value = (id: string, e: CacheEntry, now: number): number => {
    const base = recent(id, e.lastReadStep >= 0 ? step - e.lastReadStep : undefined);
    return now <= e.until ? Math.max(perStep(e.p, (e.until - now) / stepMs), base) : base;
  };

  /**
   * Frees room for `bytes` worth `p`: least recent first, skipping entries worth at least `p`. A
   * demand fetch (`force`) always gets in: if that is not enough, the rest go worth-least first.
   */
  const makeRoom = (bytes: number, p: number, now: number, force: boolean, keep?: string): boolean => {
    if (cache.used + bytes <= cache.budget) return true;
    const spared: Array<{ id: string; v: number; bytes: number; order: number }> = [];
    const victims: string[] = [];
    let freed = 0;
    for (const [id, e] of cache.entries) {
      if (cache.used - freed + bytes <= cache.budget) break;
      if (id === keep) continue;
      const v = value(id, e, now);
      if (shouldEvictFor(p, v)) {
        victims.push(id);
        freed += e.bytes;
      } else spared.push({ id, v, bytes: e.bytes, order: spared.length });
    }
    if (cache.used - freed + bytes > cache.budget) {
      if (!force) return false;
      spared.sort((x, y) => x.v - y.v || x.order - y.order);
      for (const s of spared) {
        if (cache.used - freed + bytes <= cache.budget) break;
        victims.push(s.id);
        freed += s.bytes;
      }
    }
    for (const id of victims) cache.remove(id);
    return true;
  };

  const admit = (id: string, p: number, worth: number, bytes: number, dueAt: number, now: number): boolean => {
    if (cache.entries.has(id) || bytes > cache.budget || !makeRoom(bytes, worth, now, false)) return false;
    cache.insert(id, { bytes, prefetched: true, p, until: dueAt + stepMs, lastReadStep: -1 });
    return true;
  };

  const pull = (now: number): void => {
    if (queue.size === 0 || budget <= 0) return;
    for (const e of queue.take(now, budget, (id) => sizes.get(id) ?? Infinity)) {
      const bytes = e.bytes ?? 0;
      if (admit(e.shardletId, e.p, perStep(e.p, (e.dueAt + stepMs - now) / stepMs), bytes, e.dueAt, now)) {
        budget -= bytes;
        prefetched += bytes;
      }
    }
  };

  for (const ev of trace) {
    const evStep = Math.floor(ev.t / stepMs);
    while (step < evStep) {
      close();
      // A request whose read was due over a step ago has missed it.
      queue.dropBefore(step * stepMs - stepMs);
    }
    pull(ev.t);
    if (ev.kind === "write") {
      types.set(ev.type, (types.get(ev.type) ?? 0) + 1);
      let row = rows.get(ev.type);
      if (!row) rows.set(ev.type, (row = engine.predict(ev.type, { minP: opts.threshold, minLift: opts.minLift, topPerType: opts.topPerType })));
      for (const [id, target] of Object.entries(row)) {
        const dueAt = ev.t + target.lagSteps * stepMs;
        const cached = cache.entries.get(id);
        if (cached) {
          // Already here: the prediction protects it from being evicted by a less likely prefetch.
          if (target.p >= cached.p || ev.t > cached.until) [cached.p, cached.until] = [target.p, dueAt + stepMs];
          continue;
        }
        const bytes = sizes.get(id);
        if (bytes !== undefined) queue.push({ shardletId: id, p: target.p, dueAt, target: target.target, bytes });
      }
      pull(ev.t);
    } else {
      sizes.set(ev.shardletId, ev.bytes);
      let byTarget = reads.get(ev.shardletId);
      if (!byTarget) reads.set(ev.shardletId, (byTarget = new Map<string | undefined, number>()));
      byTarget.set(ev.target, (byTarget.get(ev.target) ?? 0) + 1);
      // What the object is worth once read: the chance it is read again soon.
      const worth = recent(ev.shardletId, 0);
      count(t, cache.read(ev.shardletId, ev.bytes, step, (b, keep) => void makeRoom(b, worth, ev.t, true, keep)), ev.bytes);
    }
  }
  for (const e of cache.entries.values()) if (e.prefetched) cache.wasted += e.bytes;
  return result(t, prefetched, cache.wasted);
}

/**
 * The offline reference with the same budget: on a miss the object is inserted, then the object
 * whose next read is furthest away is evicted until the rest fits. With variable sizes this is the
 * usual Belady-size heuristic (evict the largest next-read distance x size), not an exact optimum
 * (that problem is NP-hard): an upper reference for demand-fetch policies. It never prefetches,
 * so a predictive policy can beat it by turning first reads into hits. For unit sizes it is
 * Belady's MIN, optimal among demand-fetch policies.
 */
export function simulateBelady(trace: readonly CacheTraceEvent[], budgetBytes: number): CacheSimResult {
  checkOrder(trace);
  const reads = trace.filter((e): e is Extract<CacheTraceEvent, { kind: "read" }> => e.kind === "read");
  const next = new Array<number>(reads.length);
  const seen = new Map<string, number>();
  for (let i = reads.length - 1; i >= 0; i--) {
    const id = reads[i]!.shardletId;
    next[i] = seen.get(id) ?? Infinity;
    seen.set(id, i);
  }
  const cache = new Map<string, { bytes: number; next: number }>();
  let used = 0;
  const t: Tally = { hits: 0, misses: 0, bytesRead: 0, bytesFromCache: 0 };
  for (let i = 0; i < reads.length; i++) {
    const { shardletId: id, bytes } = reads[i]!;
    const e = cache.get(id);
    count(t, e !== undefined, bytes);
    if (e) {
      used += bytes - e.bytes;
      [e.bytes, e.next] = [bytes, next[i]!];
    } else if (bytes <= budgetBytes) {
      cache.set(id, { bytes, next: next[i]! });
      used += bytes;
    }
    while (used > budgetBytes) {
      let victim: string | null = null;
      let worst = -1;
      let worstBytes = 0;
      for (const [vid, v] of cache) {
        if (vid === id) continue;
        const score = (v.next - i) * v.bytes;
        if (score > worst || (score === worst && (v.bytes > worstBytes || (v.bytes === worstBytes && victim !== null && vid < victim)))) {
          [victim, worst, worstBytes] = [vid, score, v.bytes];
        }
      }
      if (victim === null) {
        // Only the object just read is left and it has grown past the budget.
        cache.delete(id);
        used = 0;
        break;
      }
      used -= cache.get(victim)!.bytes;
      cache.delete(victim);
    }
  }
  return result(t, 0, 0);
}
