import { HASH_SPACE, rhythmRate } from "@shardcast/core";
import { WorkloadBuilder } from "./builder.ts";
import { bucketMean, meta, rhythms, streamKeys, type DiurnalParams, type GeneratorBase } from "./generator-common.ts";
import { zipfShares } from "./popularity.ts";
import type { SimWorkload } from "./types.ts";

export interface RampParams {
  /** Load of the growing stream at the end relative to the start (after the warm-up). */
  rampFactor: number;
}

export function rampWorkload(opts: GeneratorBase, d: DiurnalParams, r: RampParams): SimWorkload {
  const builder = new WorkloadBuilder(meta("ramp", opts, { ...d, ...r }), streamKeys(opts));
  const rh = rhythms(opts, d);
  const pops = rh.map((_, s) => zipfShares(opts.keysPerStream, opts.zipfS, `${opts.seed}:ramp:${s}`));
  const span = Math.max(1, opts.buckets - opts.warmupBuckets);
  for (let b = 0; b < opts.buckets; b++) {
    const progress = Math.min(1, Math.max(0, (b - opts.warmupBuckets) / span));
    for (let s = 0; s < opts.streams; s++) {
      const growth = s === 0 ? 1 + (r.rampFactor - 1) * progress : 1;
      const rate = bucketMean(b, opts.bucketMs, (t) => rhythmRate(t, rh[s]!)) * growth;
      const share = pops[s]!.share;
      for (let i = 0; i < opts.keysPerStream; i++) builder.add(b, s, i, rate * share[i]!);
    }
  }
  builder.markers.push({
    kind: "ramp",
    streamId: "s0",
    lo: 0,
    hi: HASH_SPACE,
    startBucket: opts.warmupBuckets,
    peakBucket: opts.buckets - 1,
    endBucket: opts.buckets,
    label: `stream s0 grows ${r.rampFactor}x`,
  });
  return builder.build({ peakTotal: opts.peakTotal });
}
