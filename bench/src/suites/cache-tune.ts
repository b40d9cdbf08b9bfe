/**
 * Tries predictive-cache options on seeds the cache suite does not report (100-105) and on its
 * generated workloads only, never the shipped traces, so defaults are not fitted to what is
 * reported: `tsx bench/src/suites/cache-tune.ts '{"threshold":0.6}' ['{...}' ...]`.
 */
import { correlatedTrace, parseReadCacheSettings, simulateLru, simulatePredictive, type PredictiveCacheOptions } from "@shardcast/core";
import { median } from "../harness.ts";
import { cacheWorkloads } from "./cache.ts";

const SEEDS = [100, 101, 102, 103, 104, 105];
const STEP_MS = 10_000;
const SETTINGS = parseReadCacheSettings(undefined);

function tune(extra: Partial<PredictiveCacheOptions>): string {
  const rows: string[] = [];
  const all: Array<{ vsLru: number; waste: number; early: number }> = [];
  for (const w of cacheWorkloads().filter((x) => !x.rates)) {
    const per: typeof all = [];
    for (const seed of SEEDS) {
      const trace = correlatedTrace({ ...w.options, seed: `cache-${w.name}-${seed}`, steps: 1440, stepMs: STEP_MS });
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

for (const arg of process.argv.length > 2 ? process.argv.slice(2) : ["{}"]) process.stdout.write(`${tune(JSON.parse(arg) as Partial<PredictiveCacheOptions>)}\n`);
