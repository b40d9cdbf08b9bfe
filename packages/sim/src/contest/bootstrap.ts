import { createRng } from "@shardcast/core";

/** One independent sample of a ratio: what the compared policy had (num) and the baseline (den). */
export interface RatioSample {
  num: number;
  den: number;
}

/**
 * Sum of nums over sum of dens: pooled, so a sample where neither had anything neither helps nor
 * hurts. 1 when both sums are 0 (equal), Infinity when only the baseline had none.
 */
export function ratioOfSums(samples: readonly RatioSample[]): number {
  let num = 0;
  let den = 0;
  for (const s of samples) {
    num += s.num;
    den += s.den;
  }
  return den > 0 ? num / den : num > 0 ? Number.POSITIVE_INFINITY : 1;
}

export interface RatioInterval {
  ratio: number;
  lo: number;
  hi: number;
}

/**
 * The percentile bootstrap interval of the ratio of sums: samples drawn with replacement
 * `resamples` times from a fixed seed (the figures repeat run to run). With one sample the interval
 * is that sample's ratio, which says nothing of the spread: read it beside the sample count.
 */
export function bootstrapRatio(samples: readonly RatioSample[], opts: { resamples?: number; level?: number; seed?: string } = {}): RatioInterval {
  const ratio = ratioOfSums(samples);
  if (samples.length === 0) return { ratio, lo: ratio, hi: ratio };
  const resamples = Math.max(1, Math.floor(opts.resamples ?? 2000));
  const level = opts.level ?? 0.95;
  const rng = createRng(opts.seed ?? "contest-bootstrap");
  const draws = new Float64Array(resamples);
  const pick: RatioSample[] = new Array<RatioSample>(samples.length);
  for (let b = 0; b < resamples; b++) {
    for (let i = 0; i < samples.length; i++) pick[i] = samples[rng.int(samples.length)]!;
    draws[b] = ratioOfSums(pick);
  }
  draws.sort();
  const at = (q: number) => draws[Math.min(resamples - 1, Math.max(0, Math.floor(q * resamples)))]!;
  return { ratio, lo: at((1 - level) / 2), hi: at(1 - (1 - level) / 2) };
}
