import { parseReadCacheSettings, simulateLru, simulatePredictive, userTrace, type CacheSimResult, type PredictiveCacheOptions } from "@shardcast/core";
import { median, type Suite } from "../harness.ts";
import { predictiveOptions } from "./cache.ts";

/**
 * Correlation over payload fields against types only, on the same traces and the same cache
 * (the product's `ValueCache` with prefetch at the product's settings, a tenth of the working set).
 * Two generated workloads whose writes all carry a `user` field (see attribute-trace.ts): in
 * "users" a user's session events are followed by reads of the user's own shardlets, which no
 * event type announces; in "unrelated" the same events are followed by as many reads of random
 * shardlets, so the field carries no structure and must not make things worse. Each run replays
 * the trace twice, with `correlateFields: ["user"]` and with none. Seeds 0-4 (0-1 with --quick)
 * are reported; the workload's parameters and the shardlets kept per value were settled on other
 * seeds, and `tsx bench/src/suites/cache-fields-tune.ts` tries options on seeds 100-105.
 */
const STEP_MS = 10_000;
const BUDGET_SHARE = 0.1;
const SETTINGS = parseReadCacheSettings(undefined);
export const FIELDS = ["user"] as const;

export interface FieldsWorkload {
  name: string;
  clustered: boolean;
}

export const FIELDS_WORKLOADS: readonly FieldsWorkload[] = [
  { name: "users", clustered: true },
  { name: "unrelated", clustered: false },
];

export interface FieldsRun {
  workload: string;
  lru: CacheSimResult;
  types: CacheSimResult;
  fields: CacheSimResult;
}

export function runFields(w: FieldsWorkload, seed: number | string, steps: number, extra: Partial<PredictiveCacheOptions> = {}): FieldsRun {
  const trace = userTrace({ seed: `cache-fields-${w.name}-${seed}`, steps, stepMs: STEP_MS, clustered: w.clustered });
  const budget = BUDGET_SHARE * trace.workingSetBytes;
  const types = simulatePredictive(trace.events, budget, predictiveOptions(budget, SETTINGS.prefetchThreshold));
  const fields = simulatePredictive(trace.events, budget, predictiveOptions(budget, SETTINGS.prefetchThreshold, { fields: [...FIELDS], ...extra }));
  return { workload: w.name, lru: simulateLru(trace.events, budget), types, fields };
}

export const wasteShare = (r: CacheSimResult): number => (r.prefetchedBytes > 0 ? r.prefetchedWastedBytes / r.prefetchedBytes : 0);

export function summarizeFields(prefix: string, runs: readonly FieldsRun[]): Record<string, number> {
  const med = (f: (r: FieldsRun) => number) => median(runs.map(f));
  return {
    [`${prefix}hit_ratio_fields_vs_types`]: med((r) => r.fields.hitRatio / r.types.hitRatio),
    [`${prefix}hit_ratio_types`]: med((r) => r.types.hitRatio),
    [`${prefix}hit_ratio_fields`]: med((r) => r.fields.hitRatio),
    [`${prefix}hit_ratio_lru`]: med((r) => r.lru.hitRatio),
    [`${prefix}prefetch_waste_share_types`]: med((r) => wasteShare(r.types)),
    [`${prefix}prefetch_waste_share_fields`]: med((r) => wasteShare(r.fields)),
    [`${prefix}prefetched_bytes_fields_vs_types`]: med((r) => r.fields.prefetchedBytes / Math.max(1, r.types.prefetchedBytes)),
    [`${prefix}field_source_share`]: med((r) => r.fields.sources?.find((s) => s.source === "field:user")?.share ?? 0),
    [`${prefix}runs`]: runs.length,
  };
}

export const cacheFieldsSuite: Suite = {
  name: "cache-fields",
  description: "prefetch correlating on a payload field (user) as well as the type, against types only, where access follows the field and where it does not",
  async run({ quick, log }) {
    const seeds = quick ? 2 : 5;
    const steps = quick ? 720 : 1440;
    const out: Record<string, number> = {};
    for (const w of FIELDS_WORKLOADS) {
      const runs: FieldsRun[] = [];
      for (let seed = 0; seed < seeds; seed++) {
        const r = runFields(w, seed, steps);
        runs.push(r);
        log(`${w.name} seed ${seed}: hit ratio types ${r.types.hitRatio.toFixed(3)}, fields ${r.fields.hitRatio.toFixed(3)}, waste types ${wasteShare(r.types).toFixed(2)}, fields ${wasteShare(r.fields).toFixed(2)}`);
      }
      Object.assign(out, summarizeFields(`${w.name}_`, runs));
    }
    return Promise.resolve(out);
  },
};
