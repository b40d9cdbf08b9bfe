/**
 * Where the cache suite's prefetched bytes go, per workload (seeds 0-4): `tsx
 * bench/src/suites/cache-waste.ts [workload ...]`. Each prefetch is traced back to the event that
 * announced it and judged against the generator's truth: a shardlet the type's follow-ups do read
 * ("true"), another shardlet of a precursor type ("other"), or a noise type's ("noise"); and by
 * the arrival-rate multiplier of its step. A diagnostic, not a figure of the suite: it mirrors
 * `simulatePredictive` (outcomes on, no pins), so keep the two in step when the policy changes.
 */
import { correlatedTrace, CorrelationEngine, parseReadCacheSettings, PREDICTION_OUTCOMES_HALF_LIFE_STEPS, PrefetchQueue, PredictionOutcomes, predictedRead, ValueCache } from "@shardcast/core";
import { cacheWorkloads, rateMultiplier } from "./cache.ts";

const STEP = 10_000;
const STEPS = 1440;
const S = parseReadCacheSettings(undefined);

interface Prefetch { bytes: number; kind: "true" | "other" | "noise"; load: number; read: boolean }
interface Announced { type: string; t: number }

function run(options: Parameters<typeof correlatedTrace>[0], mult: number[] | undefined): Prefetch[] {
  const trace = correlatedTrace({ ...options, steps: STEPS, stepMs: STEP, rateMultiplier: mult });
  const truth = new Map(trace.precursors.map((p) => [p.type, p]));
  const epoch = (t: number) => trace.changeSteps.filter((s) => Math.floor(t / STEP) >= s).length;
  const budget = 0.1 * trace.workingSetBytes;
  const engine = new CorrelationEngine();
  const queue = new PrefetchQueue({ leadMs: STEP });
  const live = new Map<string, Prefetch>();
  const out: Prefetch[] = [];
  const cache = new ValueCache<number>({ maxBytes: budget, horizonMs: STEP, onEvict: (id) => live.delete(id) });
  const outcomes = new PredictionOutcomes({ halfLifeMs: PREDICTION_OUTCOMES_HALF_LIFE_STEPS * STEP });
  const sizes = new Map<string, number>();
  const cause = new Map<string, Announced>();
  let step = Math.floor((trace.events[0]?.t ?? 0) / STEP);
  let left = 0.25 * budget;
  let types = new Map<string, number>();
  let reads = new Map<string, { count: number }>();
  const rows = new Map<string, ReturnType<CorrelationEngine["predict"]>>();
  const pull = (now: number): void => {
    if (queue.size === 0 || left <= 0) return;
    for (const e of queue.take(now, left, (id) => sizes.get(id) ?? Infinity)) {
      const bytes = e.bytes ?? 0;
      const prediction = predictedRead(e.p, e.dueAt, STEP);
      if (cache.has(e.shardletId)) cache.predict(e.shardletId, prediction, now);
      else if (cache.fill(e.shardletId, bytes, bytes, now, prediction)) {
        left -= bytes;
        const a = cause.get(e.shardletId)!;
        const pre = truth.get(a.type);
        const kind = !pre ? "noise" : pre.announces[Math.min(epoch(a.t), pre.announces.length - 1)]!.includes(e.shardletId) ? "true" : "other";
        const p: Prefetch = { bytes, kind, load: mult ? mult[Math.floor(now / STEP) % mult.length]! : 1, read: false };
        live.set(e.shardletId, p);
        out.push(p);
      }
    }
  };
  for (const ev of trace.events) {
    while (step < Math.floor(ev.t / STEP)) {
      engine.step({ types, reads });
      types = new Map<string, number>();
      reads = new Map<string, { count: number }>();
      rows.clear();
      step++;
      left = 0.25 * budget;
      outcomes.expire(step * STEP);
      queue.dropBefore(step * STEP - STEP);
    }
    pull(ev.t);
    if (ev.kind === "write") {
      types.set(ev.type, (types.get(ev.type) ?? 0) + 1);
      let row = rows.get(ev.type);
      if (!row) rows.set(ev.type, (row = engine.predict(ev.type, { minP: S.prefetchThreshold, minLift: S.minLift, topPerType: S.topPerType })));
      for (const [id, target] of Object.entries(row)) {
        const dueAt = ev.t + target.lagSteps * STEP;
        const p = outcomes.precision(ev.type, id, target.p, ev.t);
        outcomes.announce(ev.type, id, predictedRead(p, dueAt, STEP).until);
        if (p < S.prefetchThreshold) continue;
        if (cache.has(id)) cache.predict(id, predictedRead(p, dueAt, STEP), ev.t);
        else if (sizes.has(id)) {
          // The request keeps its earliest announcement, as the queue keeps the earliest due time.
          if (!queue.has(id)) cause.set(id, { type: ev.type, t: ev.t });
          queue.push({ shardletId: id, p, dueAt, target: target.target, bytes: sizes.get(id) });
        }
      }
      pull(ev.t);
    } else {
      sizes.set(ev.shardletId, ev.bytes);
      outcomes.read(ev.shardletId, ev.t);
      reads.set(ev.shardletId, { count: (reads.get(ev.shardletId)?.count ?? 0) + 1 });
      const held = cache.read(ev.shardletId, ev.t);
      const p = live.get(ev.shardletId);
      if (p && held !== undefined) {
        p.read = true;
        live.delete(ev.shardletId);
      }
      if (held !== ev.bytes) cache.fill(ev.shardletId, ev.bytes, ev.bytes, ev.t);
    }
  }
  return out;
}

const share = (xs: readonly Prefetch[], all: number) => xs.reduce((a, p) => a + p.bytes, 0) / Math.max(1, all);
const waste = (xs: readonly Prefetch[]) => share(xs.filter((p) => !p.read), xs.reduce((a, p) => a + p.bytes, 0));
const want = process.argv.slice(2);
for (const w of cacheWorkloads().filter((x) => want.length === 0 || want.includes(x.name))) {
  const all: Prefetch[] = [];
  for (let seed = 0; seed < 5; seed++) all.push(...run({ ...w.options, seed: `cache-${w.name}-${seed}` }, w.rates ? rateMultiplier(w.rates, seed, STEPS) : undefined));
  const total = all.reduce((a, p) => a + p.bytes, 0);
  const parts = (["true", "other", "noise"] as const).map((k) => { const xs = all.filter((p) => p.kind === k); return `${k} ${share(xs, total).toFixed(2)} (waste ${waste(xs).toFixed(2)})`; });
  const loads = ([[0, 0.5], [0.5, 1], [1, 2], [2, Infinity]] as const).map(([lo, hi]) => { const xs = all.filter((p) => p.load >= lo && p.load < hi); return `${lo}-${hi} ${share(xs, total).toFixed(2)} (${waste(xs).toFixed(2)})`; });
  process.stdout.write(`${w.name.padEnd(9)} waste ${waste(all).toFixed(2)}; bytes by pair: ${parts.join(", ")}${w.rates ? `; by rate multiplier: ${loads.join(", ")}` : ""}\n`);
}
