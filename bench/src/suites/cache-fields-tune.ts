/**
 * Tries options of correlation over payload fields on seeds the cache-fields suite does not
 * report (100-105): `tsx bench/src/suites/cache-fields-tune.ts '{"topValues":32}' ['{...}' ...]`.
 */
import type { PredictiveCacheOptions } from "@shardcast/core";
import { median } from "../harness.ts";
import { scriptWords } from "../script-args.ts";
import { FIELDS_WORKLOADS, runFields, wasteShare } from "./cache-fields.ts";

const SEEDS = [100, 101, 102, 103, 104, 105];
const STEPS = 1440;

function tune(extra: Partial<PredictiveCacheOptions>): string {
  const rows = [JSON.stringify(extra)];
  for (const w of FIELDS_WORKLOADS) {
    const runs = SEEDS.map((seed) => runFields(w, seed, STEPS, extra));
    const ratio = median(runs.map((r) => r.fields.hitRatio / r.types.hitRatio));
    rows.push(`  ${w.name.padEnd(9)} fields vs types ${ratio.toFixed(3)}  waste types ${median(runs.map((r) => wasteShare(r.types))).toFixed(3)}  fields ${median(runs.map((r) => wasteShare(r.fields))).toFixed(3)}`);
  }
  return rows.join("\n");
}

const optionSets = scriptWords(process.argv.slice(2), "usage: tsx bench/src/suites/cache-fields-tune.ts ['{\"topValues\":32}' ...]");
for (const arg of optionSets.length > 0 ? optionSets : ["{}"]) process.stdout.write(`${tune(JSON.parse(arg) as Partial<PredictiveCacheOptions>)}\n`);
