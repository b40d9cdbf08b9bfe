/**
 * Tries predictive-cache options on seeds the cache suite does not report (100-105) and on its
 * generated workloads only, never the shipped traces, so defaults are not fitted to what is
 * reported: `tsx bench/src/suites/cache-tune.ts '{"threshold":0.6}' ['{...}' ...]`. Besides the
 * suite's generated workloads it runs "swinging": the generator's defaults with arrival rates that
 * swing widely within hours (a seeded random walk, not any trace), for policies that depend on load.
 */
import { correlatedTrace, createRng, parseReadCacheSettings, simulateLru, simulatePredictive, type PredictiveCacheOptions } from "@shardcast/core";
import { median } from "../harness.ts";
import { scriptWords } from "../script-args.ts";
import { cacheWorkloads, type Workload } from "./cache.ts";

const SEEDS = [100, 101, 102, 103, 104, 105];
const STEP_MS = 10_000;
const STEPS = 1440;
const SETTINGS = parseReadCacheSettings(undefined);

/**
 * Hourly levels (six steps each) of a log-space random walk pulled back to its mean, sd about
 * 1.2 in log space: rates a few times and a tenth of their mean within a few hours. Mean 1.
 */
function swinging(seed: number): number[] {
  const rng = createRng(`cache-tune-swing-${seed}`);
  const hours: number[] = [];
  let x = 0;
  for (let h = 0; h < Math.ceil(STEPS / 6); h++) hours.push(Math.exp((x = 0.7 * x + 0.85 * rng.normal())));
  const steps = Array.from({ length: STEPS }, (_, i) => hours[Math.floor(i / 6)]!);
  const mean = steps.reduce((a, b) => a + b, 0) / STEPS;
  return steps.map((v) => v / mean);
}

function tune(extra: Partial<PredictiveCacheOptions>): string {
  const rows: string[] = [];
  const all: Array<{ vsLru: number; waste: number; early: number }> = [];
  const workloads: Workload[] = [...cacheWorkloads().filter((x) => !x.rates), { name: "swinging", options: {} }];
  for (const w of workloads) {
    const per: typeof all = [];
    for (const seed of SEEDS) {
      const rateMultiplier = w.name === "swinging" ? swinging(seed) : undefined;
      const trace = correlatedTrace({ ...w.options, seed: `cache-${w.name}-${seed}`, steps: STEPS, stepMs: STEP_MS, rateMultiplier });
      const budget = 0.1 * trace.workingSetBytes;
      const opts: PredictiveCacheOptions = { threshold: SETTINGS.prefetchThreshold, stepMs: STEP_MS, bandwidthBytesPerStep: 0.25 * budget, minLift: SETTINGS.minLift, topPerType: SETTINGS.topPerType, ...extra };
      const p = simulatePredictive(trace.events, budget, opts);
      const lru = simulateLru(trace.events, budget);
      per.push({ vsLru: p.hitRatio / lru.hitRatio, waste: p.prefetchedBytes > 0 ? p.prefetchedWastedBytes / p.prefetchedBytes : 0, early: p.prefetchedBytes > 0 ? p.prefetchedEvictedEarlyBytes / p.prefetchedBytes : 0 });
    }
    all.push(...per);
    rows.push(`  ${w.name.padEnd(9)} vs lru ${median(per.map((r) => r.vsLru)).toFixed(3)}  waste ${median(per.map((r) => r.waste)).toFixed(3)}  early ${median(per.map((r) => r.early)).toFixed(3)}`);
  }
  rows.unshift(`${JSON.stringify(extra)}: vs lru ${median(all.map((r) => r.vsLru)).toFixed(3)}  waste ${median(all.map((r) => r.waste)).toFixed(3)}  early ${median(all.map((r) => r.early)).toFixed(3)}`);
  return rows.join("\n");
}

const optionSets = scriptWords(process.argv.slice(2), "usage: tsx bench/src/suites/cache-tune.ts ['{\"threshold\":0.6}' ...]");
for (const arg of optionSets.length > 0 ? optionSets : ["{}"]) process.stdout.write(`${tune(JSON.parse(arg) as Partial<PredictiveCacheOptions>)}\n`);
