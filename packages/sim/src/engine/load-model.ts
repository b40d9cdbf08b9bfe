import type { SimWorkload } from "../workload/types.ts";

/**
 * Reads the workload's rates for key ranges. Bucket values are means over their bucket; between
 * bucket midpoints the rate is interpolated linearly, so load ramps within an hour instead of
 * jumping at the hour (which would hide every ramp from a reactive policy and flatter prediction).
 */
export class LoadModel {
  readonly workload: SimWorkload;
  readonly #row: number;
  readonly #buckets: number;
  readonly #bucketMs: number;
  readonly #prefix: Float64Array;

  constructor(workload: SimWorkload) {
    this.workload = workload;
    this.#row = workload.keyHashes.length + 1;
    this.#buckets = workload.buckets;
    this.#bucketMs = workload.bucketMs;
    this.#prefix = workload.prefix;
  }

  /** Mean events/s of keys [a, c) over bucket b (clamped to the workload's buckets). */
  bucketRate(a: number, c: number, b: number): number {
    const bb = b < 0 ? 0 : b >= this.#buckets ? this.#buckets - 1 : b;
    const base = bb * this.#row;
    return this.#prefix[base + c]! - this.#prefix[base + a]!;
  }

  /** Events/s of keys [a, c) at time t (ms from the workload's start). */
  rateAt(a: number, c: number, t: number): number {
    const x = t / this.#bucketMs - 0.5;
    if (x <= 0) return this.bucketRate(a, c, 0);
    const last = this.#buckets - 1;
    if (x >= last) return this.bucketRate(a, c, last);
    const b = Math.floor(x);
    const w = x - b;
    const r0 = b * this.#row;
    const r1 = r0 + this.#row;
    const p = this.#prefix;
    return (1 - w) * (p[r0 + c]! - p[r0 + a]!) + w * (p[r1 + c]! - p[r1 + a]!);
  }

  /** Per-bucket means of keys [a, c) for buckets [from, to), oldest first (buckets before 0 are skipped). */
  series(a: number, c: number, from: number, to: number): number[] {
    const out: number[] = [];
    for (let b = Math.max(0, from); b < to; b++) out.push(this.bucketRate(a, c, b));
    return out;
  }

  /**
   * The hash at the median of the load keys [a, c) will carry over buckets [from, to): where a cut
   * divides the coming load in two. Null when nothing is coming.
   */
  futureMedianHash(a: number, c: number, from: number, to: number): number | null {
    const n = c - a;
    if (n <= 0) return null;
    const sums = new Float64Array(n);
    const p = this.#prefix;
    for (let b = from; b < to; b++) {
      const bb = b < 0 ? 0 : b >= this.#buckets ? this.#buckets - 1 : b;
      const base = bb * this.#row;
      for (let k = 0; k < n; k++) sums[k]! += p[base + a + k + 1]! - p[base + a + k]!;
    }
    let total = 0;
    for (let k = 0; k < n; k++) total += sums[k]!;
    if (!(total > 0)) return null;
    let acc = 0;
    for (let k = 0; k < n; k++) {
      acc += sums[k]!;
      if (acc >= total / 2) return this.workload.keyHashes[a + k]!;
    }
    return null;
  }

  /**
   * The key index in [a, c) at the load median of bucket b (the first key at which the running sum
   * reaches half the range's load), with the first and last keys that carry load. Null when the
   * range carries nothing.
   */
  median(a: number, c: number, b: number): { median: number; first: number; last: number; loaded: number } | null {
    const bb = b < 0 ? 0 : b >= this.#buckets ? this.#buckets - 1 : b;
    const base = bb * this.#row;
    const p = this.#prefix;
    const start = p[base + a]!;
    const total = p[base + c]! - start;
    if (!(total > 0)) return null;
    let lo = a;
    let hi = c - 1;
    // Smallest m with p[m + 1] - start >= total / 2.
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (p[base + mid + 1]! - start >= total / 2) hi = mid;
      else lo = mid + 1;
    }
    let first = a;
    while (first < c && !(p[base + first + 1]! - p[base + first]! > 0)) first++;
    let last = c - 1;
    while (last > first && !(p[base + last + 1]! - p[base + last]! > 0)) last--;
    let loaded = 0;
    for (let k = first; k <= last; k++) if (p[base + k + 1]! - p[base + k]! > 0) loaded++;
    return { median: lo, first, last, loaded };
  }
}
