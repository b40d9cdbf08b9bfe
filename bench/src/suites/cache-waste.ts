/**
 * Where the cache suite's prefetched bytes go, per workload (seeds 0-4): `tsx
 * bench/src/suites/cache-waste.ts [workload ...]`. Runs the suite's own predictive cache
 * (`simulatePredictive` at the product's settings) with a tracer, and judges each prefetch by the
 * event that announced it against the generator's truth: a shardlet the type's follow-ups do read
 * ("true"), another shardlet of a precursor type ("other"), or a noise type's ("noise"); and by
 * the arrival-rate multiplier of its step. A diagnostic, not a figure of the suite.
 */
import { simulatePredictive, type CorrelatedTrace } from "@shardcast/core";
import { scriptWords } from "../script-args.ts";
import { cacheWorkloads, predictiveOptions, workloadTrace } from "./cache.ts";

const STEPS = 1440;

interface Prefetch { bytes: number; kind: "true" | "stale" | "other" | "noise"; load: number; read: boolean; sinceChange: number }

/** "stale": a shardlet the type announced before the pattern's last change, and no longer. */
function kindOf(trace: CorrelatedTrace, type: string, t: number, shardletId: string): Prefetch["kind"] {
  const pre = trace.precursors.find((p) => p.type === type);
  if (!pre) return "noise";
  const epoch = trace.changeSteps.filter((s) => Math.floor(t / trace.stepMs) >= s).length;
  if (pre.announces[Math.min(epoch, pre.announces.length - 1)]!.includes(shardletId)) return "true";
  for (let e = 0; e < Math.min(epoch, pre.announces.length); e++) if (pre.announces[e]!.includes(shardletId)) return "stale";
  return "other";
}

/** Steps since the pattern's last change at time t (Infinity before the first). */
function stepsSinceChange(trace: CorrelatedTrace, t: number): number {
  const step = Math.floor(t / trace.stepMs);
  const past = trace.changeSteps.filter((s) => step >= s);
  return past.length === 0 ? Number.POSITIVE_INFINITY : step - past[past.length - 1]!;
}

function run(w: ReturnType<typeof cacheWorkloads>[number], seed: number): Prefetch[] {
  const { trace, budget, mult } = workloadTrace(w, seed, STEPS);
  const out: Prefetch[] = [];
  const live = new Map<string, Prefetch>();
  simulatePredictive(trace.events, budget, {
    ...predictiveOptions(budget),
    tracer: {
      prefetched(id, bytes, now, cause) {
        const p: Prefetch = { bytes, kind: kindOf(trace, cause.type, cause.t, id), load: mult ? mult[Math.floor(now / trace.stepMs) % mult.length]! : 1, read: false, sinceChange: stepsSinceChange(trace, cause.t) };
        live.set(id, p);
        out.push(p);
      },
      settled(id, read) {
        const p = live.get(id);
        if (p) p.read = read;
        live.delete(id);
      },
    },
  });
  return out;
}

const share = (xs: readonly Prefetch[], all: number) => xs.reduce((a, p) => a + p.bytes, 0) / Math.max(1, all);
const waste = (xs: readonly Prefetch[]) => share(xs.filter((p) => !p.read), xs.reduce((a, p) => a + p.bytes, 0));
const want = scriptWords(process.argv.slice(2), "usage: tsx bench/src/suites/cache-waste.ts [workload ...]");
for (const w of cacheWorkloads().filter((x) => want.length === 0 || want.includes(x.name))) {
  const all: Prefetch[] = [];
  for (let seed = 0; seed < 5; seed++) all.push(...run(w, seed));
  const total = all.reduce((a, p) => a + p.bytes, 0);
  const parts = (["true", "stale", "other", "noise"] as const).map((k) => { const xs = all.filter((p) => p.kind === k); return `${k} ${share(xs, total).toFixed(2)} (waste ${waste(xs).toFixed(2)})`; });
  const loads = ([[0, 0.5], [0.5, 1], [1, 2], [2, Infinity]] as const).map(([lo, hi]) => { const xs = all.filter((p) => p.load >= lo && p.load < hi); return `${lo}-${hi} ${share(xs, total).toFixed(2)} (${waste(xs).toFixed(2)})`; });
  process.stdout.write(`${w.name.padEnd(9)} waste ${waste(all).toFixed(2)}; bytes by pair: ${parts.join(", ")}${w.rates ? `; by rate multiplier: ${loads.join(", ")}` : ""}\n`);
  const stale = all.filter((p) => p.kind === "stale");
  if (stale.length > 0) {
    const ages = ([[0, 60], [60, 240], [240, 720], [720, Infinity]] as const).map(([lo, hi]) => `${lo}-${hi} ${share(stale.filter((p) => p.sinceChange >= lo && p.sinceChange < hi), total).toFixed(2)}`);
    process.stdout.write(`${"".padEnd(9)} stale pairs' bytes by steps since the pattern changed: ${ages.join(", ")}\n`);
  }
}
