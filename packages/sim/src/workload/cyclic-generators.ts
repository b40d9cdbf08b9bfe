import { HASH_SPACE, rhythmRate } from "@shardcast/core";
import { WorkloadBuilder } from "./builder.ts";
import { bucketMean, DAY_MS, meta, rhythms, streamKeys, type DiurnalParams, type GeneratorBase } from "./generator-common.ts";
import { driftedShare, zipfShares } from "./popularity.ts";
import type { SimWorkload } from "./types.ts";

export interface DriftParams {
  /** Ranks the popularity ranking moves per day (a new key reaches the top in 1/driftRanksPerDay days). */
  driftRanksPerDay: number;
}

export function flatWorkload(opts: GeneratorBase): SimWorkload {
  const builder = new WorkloadBuilder(meta("flat", opts, {}), streamKeys(opts));
  const shares = Array.from({ length: opts.streams }, (_, s) => zipfShares(opts.keysPerStream, opts.zipfS, `${opts.seed}:flat:${s}`).share);
  for (let b = 0; b < opts.buckets; b++) {
    for (let s = 0; s < opts.streams; s++) {
      const share = shares[s]!;
      for (let i = 0; i < opts.keysPerStream; i++) builder.add(b, s, i, share[i]! / opts.streams);
    }
  }
  return builder.build({ peakTotal: opts.peakTotal });
}

/** Daily and weekly cycles, optionally with a drifting hot set. */
function cyclic(name: "diurnal" | "zipf-drift", opts: GeneratorBase, d: DiurnalParams, drift: DriftParams | null): SimWorkload {
  const params: Record<string, number> = { ...d, ...(drift ?? {}) };
  const builder = new WorkloadBuilder(meta(name, opts, params), streamKeys(opts));
  const rh = rhythms(opts, d);
  const pops = rh.map((_, s) => zipfShares(opts.keysPerStream, opts.zipfS, `${opts.seed}:${name}:${s}`));
  const shiftPerBucket = drift ? (drift.driftRanksPerDay * opts.bucketMs) / DAY_MS : 0;
  for (let b = 0; b < opts.buckets; b++) {
    for (let s = 0; s < opts.streams; s++) {
      const rate = bucketMean(b, opts.bucketMs, (t) => rhythmRate(t, rh[s]!));
      const pop = pops[s]!;
      const shift = b * shiftPerBucket;
      for (let i = 0; i < opts.keysPerStream; i++) {
        const share = drift ? driftedShare(pop.byRank, pop.rankOf[i]!, shift) : pop.share[i]!;
        builder.add(b, s, i, rate * share);
      }
    }
  }
  if (drift) {
    builder.markers.push({
      kind: "drift",
      streamId: "*",
      lo: 0,
      hi: HASH_SPACE,
      startBucket: 0,
      peakBucket: 0,
      endBucket: opts.buckets,
      label: `hot set drifts ${drift.driftRanksPerDay} ranks a day`,
    });
  }
  return builder.build({ peakTotal: opts.peakTotal });
}

export function diurnalWorkload(opts: GeneratorBase, d: DiurnalParams): SimWorkload {
  return cyclic("diurnal", opts, d, null);
}

export function zipfDriftWorkload(opts: GeneratorBase, d: DiurnalParams, drift: DriftParams): SimWorkload {
  return cyclic("zipf-drift", opts, d, drift);
}
