import { SimSources } from "./cache-sim-fields.ts";
import { SimPins } from "./cache-sim-pins.ts";
import type { CacheSimResult, CacheTraceEvent, PredictiveCacheOptions } from "./cache-sim-types.ts";
import { CONFIRM_EARLY_STEPS, ConfirmedAnnouncements } from "./confirmed-announcements.ts";
import { CorrelationEngine, type PrefetchTarget } from "./correlation-engine.ts";
import { LruCache } from "./byte-cache.ts";
import { PREFETCH_LEAD_STEPS, PrefetchQueue, predictedRead } from "./prefetch-queue.ts";
import { PREDICTION_OUTCOMES_HALF_LIFE_STEPS, PredictionOutcomes } from "./prediction-outcomes.ts";
import { ValueCache } from "./value-cache.ts";

/**
 * Byte-budget cache policies replayed over a read trace, for the benchmark. An object is a
 * shardlet's tail (id = shardlet id, size = the read's bytes); every read miss is a demand fetch
 * that inserts the object, in all policies. Plain LRU is the baseline; the predictive policy is
 * the edge's own cache (`ValueCache`), so its figures are those of what ships. Writes matter only to the predictive policy, as the
 * events it learns from.
 */
export type { CacheSimResult, CacheTraceEvent, PredictiveCacheOptions, PrefetchTracer } from "./cache-sim-types.ts";

interface Tally {
  hits: number;
  misses: number;
  bytesRead: number;
  bytesFromCache: number;
}

function result(t: Tally, prefetchedBytes = 0, prefetchedWastedBytes = 0): CacheSimResult {
  const n = t.hits + t.misses;
  return { ...t, hitRatio: n > 0 ? t.hits / n : 0, prefetchedBytes, prefetchedWastedBytes, skippedPrefetches: 0, prefetchedEvictedEarlyBytes: 0 };
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

export function simulateLru(trace: readonly CacheTraceEvent[], budgetBytes: number): CacheSimResult {
  checkOrder(trace);
  const cache = new LruCache(budgetBytes);
  const t: Tally = { hits: 0, misses: 0, bytesRead: 0, bytesFromCache: 0 };
  for (const ev of trace) if (ev.kind === "read") count(t, cache.read(ev.shardletId, ev.bytes), ev.bytes);
  return result(t);
}

const DEFAULT_OUTCOMES: NonNullable<PredictiveCacheOptions["outcomes"]> = { halfLifeSteps: PREDICTION_OUTCOMES_HALF_LIFE_STEPS };

/**
 * The product's cache with prefetch: `ValueCache`, the edge's eviction policy, fed as the edge
 * feeds it. A `CorrelationEngine` is trained online (a step enters it once it is over, so
 * predictions use the past only); on a write of type A every shardlet the engine predicts for A
 * with p >= threshold is announced and, while the pair's precision (`PredictionOutcomes`: that p
 * corrected by whether its announced reads came) stays >= threshold, acted on: a cached one
 * keeps the prediction (it protects the entry),
 * another is queued, due at the predicted read, or, where the type's announced shardlets are read
 * together (`ConfirmedAnnouncements`), once the first of them is read; due requests are fetched
 * within the step's bandwidth unless the cache refuses them (they would evict something worth more
 * per byte).
 */
export function simulatePredictive(trace: readonly CacheTraceEvent[], budgetBytes: number, opts: PredictiveCacheOptions): CacheSimResult {
  checkOrder(trace);
  const stepMs = opts.stepMs;
  if (!(stepMs > 0)) throw new RangeError("cache simulation: stepMs must be positive");
  const engine = new CorrelationEngine(opts.engine);
  const leadMs = (opts.leadSteps ?? PREFETCH_LEAD_STEPS) * stepMs;
  const queue = new PrefetchQueue({ leadMs });
  let wasted = 0;
  let early = 0;
  const tracer = opts.tracer;
  // Only kept for a tracer: the announcement behind each queued request, and prefetches not yet read.
  const cause = tracer ? new Map<string, { type: string; t: number }>() : null;
  const unreadPrefetches = new Set<string>();
  const o = opts.outcomes === undefined ? DEFAULT_OUTCOMES : opts.outcomes;
  const halfLifeMs = (o?.halfLifeSteps ?? PREDICTION_OUTCOMES_HALF_LIFE_STEPS) * stepMs;
  const sources = new SimSources(opts.fields ?? [], { halfLifeMs, scores: opts.sourceScores, topValues: opts.topValues });
  // The announcement behind each queued request (its source is judged by the prefetch's outcome).
  const requestKey = new Map<string, string>();
  let clock = 0;
  // The value is the entry's size: the simulation has no payload.
  const cache: ValueCache<number> = new ValueCache<number>({
    maxBytes: budgetBytes,
    horizonMs: stepMs,
    ...(opts.cutMargin !== undefined ? { cutMargin: opts.cutMargin } : {}),
    ...(opts.historyEntries !== undefined ? { historyEntries: opts.historyEntries } : {}),
    ...(opts.pins ? { shielded: (now: number): ReadonlySet<string> => pins!.guard.shielded(now) } : {}),
    onEvict: (_id, bytes, how) => {
      pins?.evicted(_id);
      sources.settle(_id, false, clock);
      if (unreadPrefetches.delete(_id)) tracer?.settled(_id, false);
      if (!how.unreadPrefetch) return;
      wasted += bytes;
      if (how.early) early += bytes;
    },
  });
  const pins: SimPins | null = opts.pins ? new SimPins(opts.pins, { maxBytes: budgetBytes, bytesOf: (k): number | undefined => cache.peek(k), valuePerByte: (k, now): number => cache.valuePerByte(k, now), marginalValuePerByte: (now): number => cache.marginalValuePerByte(now), horizonsPerRun: opts.pins.everySteps }) : null;
  const sizes = new Map<string, number>();
  const outcomes = o ? new PredictionOutcomes({ halfLifeMs: o.halfLifeSteps * stepMs, ...(o.priorWeight !== undefined ? { priorWeight: o.priorWeight } : {}) }) : null;
  const confirmed = opts.confirm !== false ? new ConfirmedAnnouncements({ halfLifeMs }) : null;
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
    sources.step(obs);
    types = new Map();
    reads = new Map();
    rows.clear();
    step++;
    pins?.step(step, step * stepMs);
    budget = opts.bandwidthBytesPerStep;
  };

  const pull = (now: number): void => {
    if (queue.size === 0 || budget <= 0) return;
    for (const e of queue.take(now, budget, (id) => sizes.get(id) ?? Infinity)) {
      const bytes = e.bytes ?? 0;
      const prediction = predictedRead(e.p, e.dueAt, stepMs);
      if (cache.has(e.shardletId)) cache.predict(e.shardletId, prediction, now);
      else if (cache.fill(e.shardletId, bytes, bytes, now, prediction)) {
        budget -= bytes;
        prefetched += bytes;
        sources.prefetched(e.shardletId, requestKey.get(e.shardletId) ?? "", bytes);
        const announcedBy = cause?.get(e.shardletId);
        if (tracer && announcedBy) {
          unreadPrefetches.add(e.shardletId);
          tracer.prefetched(e.shardletId, bytes, now, announcedBy);
        }
      }
    }
  };

  const request = (id: string, p: number, dueAt: number, target: string | null, announcedBy: { type: string; t: number }): void => {
    const bytes = sizes.get(id);
    if (bytes === undefined) return;
    // The queue keeps a request's earliest due time, so its cause is the earliest announcement.
    if (!queue.has(id)) {
      cause?.set(id, announcedBy);
      requestKey.set(id, announcedBy.type);
    }
    queue.push({ shardletId: id, p, dueAt, target, bytes });
  };

  const predictOpts = { minP: opts.threshold, minLift: opts.minLift, topPerType: opts.topPerType };
  /** An event announced `row` under `key` (its type, or a field's value). */
  const announce = (key: string, row: Record<string, PrefetchTarget>, now: number): void => {
    const group: Array<{ shardletId: string; p: number; target: string | null }> = [];
    let groupUntil = -Infinity;
    let groupFrom = Infinity;
    const members = Object.entries(row);
    for (const [id, target] of members) {
      const dueAt = now + target.lagSteps * stepMs;
      const p = outcomes ? outcomes.precision(key, id, target.p, now) : target.p;
      const until = predictedRead(p, dueAt, stepMs).until;
      // Judged on the reads a prefetch started at its time would be there for.
      outcomes?.announce(key, id, until, dueAt - leadMs);
      group.push({ shardletId: id, p, target: target.target });
      groupUntil = Math.max(groupUntil, until);
      groupFrom = Math.min(groupFrom, dueAt - CONFIRM_EARLY_STEPS * stepMs);
      if (p < opts.threshold) continue;
      if (cache.has(id)) cache.predict(id, predictedRead(p, dueAt, stepMs), now);
      else {
        if (confirmed?.waits(key, p, members.length, opts.threshold, now)) continue;
        request(id, p, dueAt, target.target, { type: key, t: now });
      }
    }
    confirmed?.announce(key, group, { from: groupFrom, until: groupUntil }, now);
  };

  for (const ev of trace) {
    clock = ev.t;
    const evStep = Math.floor(ev.t / stepMs);
    while (step < evStep) {
      close();
      outcomes?.expire(step * stepMs);
      confirmed?.expire(step * stepMs);
      // A request whose read was due over a step ago has missed it.
      queue.dropBefore(step * stepMs - stepMs);
    }
    pull(ev.t);
    if (ev.kind === "write") {
      types.set(ev.type, (types.get(ev.type) ?? 0) + 1);
      let row = rows.get(ev.type);
      if (!row) rows.set(ev.type, (row = engine.predict(ev.type, predictOpts)));
      announce(ev.type, row, ev.t);
      for (const [key, fieldRow] of sources.written(ev.attrs, predictOpts, ev.t)) announce(key, fieldRow, ev.t);
      pull(ev.t);
    } else {
      sizes.set(ev.shardletId, ev.bytes);
      outcomes?.read(ev.shardletId, ev.t);
      let byTarget = reads.get(ev.shardletId);
      if (!byTarget) reads.set(ev.shardletId, (byTarget = new Map<string | undefined, number>()));
      byTarget.set(ev.target, (byTarget.get(ev.target) ?? 0) + 1);
      for (const c of confirmed?.read(ev.shardletId, ev.target, ev.t) ?? []) {
        if (c.p < opts.threshold) continue;
        const prediction = { p: c.p, until: c.until };
        if (cache.has(c.shardletId)) cache.predict(c.shardletId, prediction, ev.t);
        else request(c.shardletId, c.p, ev.t, c.target, { type: c.type, t: c.announcedAt });
      }
      const held = cache.read(ev.shardletId, ev.t);
      count(t, held !== undefined, ev.bytes);
      if (held !== undefined) sources.settle(ev.shardletId, true, ev.t);
      if (held !== undefined && unreadPrefetches.delete(ev.shardletId)) tracer?.settled(ev.shardletId, true);
      pins?.read(ev.shardletId, held !== undefined);
      if (held !== ev.bytes) cache.fill(ev.shardletId, ev.bytes, ev.bytes, ev.t);
    }
  }
  for (const [, bytes, unread] of cache.entries()) if (unread) wasted += bytes;
  for (const id of unreadPrefetches) tracer?.settled(id, false);
  return { ...result(t, prefetched, wasted), skippedPrefetches: cache.skipped, prefetchedEvictedEarlyBytes: early, ...(pins ? { pins: pins.stats } : {}), ...(opts.fields && opts.fields.length > 0 ? { sources: sources.scores(clock) } : {}) };
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
  return result(t);
}
