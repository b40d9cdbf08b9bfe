import { createRng, HASH_SPACE, resolveRhythm, rhythmRate } from "@shardcast/core";
import { WorkloadBuilder } from "./builder.ts";
import { bucketMean, DAY_MS, HOUR_MS, meta, streamKeys, type DiurnalParams, type GeneratorBase } from "./generator-common.ts";
import { zipfShares } from "./popularity.ts";
import type { SimWorkload } from "./types.ts";

export interface TenantParams {
  /** Hosts each tenant's stream is laid out on (a subset of the cluster). */
  tenantHosts: number;
  /** Spread of tenant sizes: the largest is about this many times the smallest. */
  sizeSpread: number;
  /** Bursts per tenant per week after the warm-up (2-6 h, 1.5x-3x the tenant's rate). */
  burstsPerWeek: number;
}

/**
 * Tenants that do not share every host: each stream is one tenant with its own key range, laid out
 * on `tenantHosts` consecutive hosts, with a size drawn log-uniformly over `sizeSpread`, a daily
 * peak anywhere in the day (time zones), a weekly rhythm that peaks mid-week or at the weekend, and
 * unannounced bursts. Load is uneven between hosts from the start, and the hours at which each host
 * is busy differ.
 */
export function tenantsWorkload(opts: GeneratorBase, d: DiurnalParams, t: TenantParams): SimWorkload {
  const builder = new WorkloadBuilder(meta("tenants", opts, { ...d, ...t }), streamKeys(opts));
  const rng = createRng(`${opts.seed}:tenants`);
  const n = opts.streams;
  const sizes = Array.from({ length: n }, () => Math.exp(rng.next() * Math.log(Math.max(1, t.sizeSpread))));
  const sizeSum = sizes.reduce((a, b) => a + b, 0);
  const rh = Array.from({ length: n }, (_, s) =>
    resolveRhythm({
      baseRate: sizes[s]! / sizeSum,
      dayMs: DAY_MS,
      dailyAmplitude: d.dailyAmplitude * rng.range(0.5, 1),
      weeklyAmplitude: d.weeklyAmplitude * rng.range(0.3, 1),
      peakAt: (0.55 + rng.next() * d.phaseSpread) % 1,
      // A weekend business peaks three or four days after the default mid-week peak.
      originMs: rng.chance(0.3) ? -rng.int(2) * DAY_MS - 3 * DAY_MS : 0,
    }),
  );
  const bursts: Array<{ stream: number; from: number; to: number; factor: number }> = [];
  const measuredBuckets = Math.max(0, opts.buckets - opts.warmupBuckets);
  const perTenant = (t.burstsPerWeek * measuredBuckets * opts.bucketMs) / (7 * DAY_MS);
  for (let s = 0; s < n; s++) {
    const count = Math.floor(perTenant) + (rng.chance(perTenant - Math.floor(perTenant)) ? 1 : 0);
    for (let k = 0; k < count; k++) {
      const from = opts.warmupBuckets + rng.int(Math.max(1, measuredBuckets));
      const hours = 2 + rng.int(5);
      bursts.push({ stream: s, from, to: Math.min(opts.buckets, from + Math.max(1, Math.round((hours * HOUR_MS) / opts.bucketMs))), factor: rng.range(1.5, 3) });
    }
  }
  const pops = rh.map((_, s) => zipfShares(opts.keysPerStream, opts.zipfS, `${opts.seed}:tenants:${s}`));
  for (let b = 0; b < opts.buckets; b++) {
    for (let s = 0; s < n; s++) {
      let rate = bucketMean(b, opts.bucketMs, (x) => rhythmRate(x, rh[s]!));
      for (const u of bursts) if (u.stream === s && b >= u.from && b < u.to) rate *= u.factor;
      const share = pops[s]!.share;
      for (let i = 0; i < opts.keysPerStream; i++) builder.add(b, s, i, rate * share[i]!);
    }
  }
  for (const u of bursts) {
    builder.markers.push({ kind: "flash_crowd", streamId: `s${u.stream}`, lo: 0, hi: HASH_SPACE, startBucket: u.from, peakBucket: u.from, endBucket: u.to, label: `tenant s${u.stream} bursts ${u.factor.toFixed(1)}x` });
  }
  const w = builder.build({ peakTotal: opts.peakTotal });
  const span = Math.max(1, Math.round(t.tenantHosts));
  // Consecutive tenants start on different hosts, so every host carries a few tenants.
  return { ...w, streams: w.streams.map((st, s) => ({ ...st, hosts: { offset: s * span, span } })) };
}
