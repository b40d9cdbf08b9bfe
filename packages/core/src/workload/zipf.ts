import type { Rng } from "./rng.ts";

function helper1(x: number): number {
  // log1p(x) / x, with its Taylor series near 0 where the quotient loses precision.
  return Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - 0.25 * x));
}

function helper2(x: number): number {
  // expm1(x) / x, likewise.
  return Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + (x / 3) * (1 + 0.25 * x));
}

/**
 * Samples ranks 0..n-1 with P(rank r) proportional to (r + 1)^-s (Zipf's law), in O(1) time and
 * memory per sample by rejection-inversion (Hörmann & Derflinger, "Rejection-inversion to generate
 * variates from monotone discrete distributions", 1996), so n can be millions of keys.
 *
 * `s` (the exponent) must be >= 0: 0 is uniform, ~1 is the classic web-popularity skew, larger is
 * more concentrated on the first ranks.
 */
export class ZipfSampler {
  readonly n: number;
  readonly s: number;
  readonly #rng: Rng;
  readonly #hIntegralX1: number;
  readonly #hIntegralN: number;
  readonly #threshold: number;
  #harmonic: number | undefined;

  constructor(n: number, s: number, rng: Rng) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`zipf: n must be a positive integer, got ${n}`);
    if (!Number.isFinite(s) || s < 0) throw new RangeError(`zipf: s must be a finite number >= 0, got ${s}`);
    this.n = n;
    this.s = s;
    this.#rng = rng;
    this.#hIntegralX1 = this.#hIntegral(1.5) - 1;
    this.#hIntegralN = this.#hIntegral(n + 0.5);
    this.#threshold = 2 - this.#hIntegralInverse(this.#hIntegral(2.5) - this.#h(2));
  }

  /** A rank in [0, n); rank 0 is the most popular. */
  sample(): number {
    if (this.s === 0) return this.#rng.int(this.n);
    for (;;) {
      const u = this.#hIntegralN + this.#rng.next() * (this.#hIntegralX1 - this.#hIntegralN);
      const x = this.#hIntegralInverse(u);
      let k = Math.floor(x + 0.5);
      if (k < 1) k = 1;
      else if (k > this.n) k = this.n;
      if (k - x <= this.#threshold || u >= this.#hIntegral(k + 0.5) - this.#h(k)) return k - 1;
    }
  }

  /** Generalized harmonic number H(n, s), the normalizer (computed once, O(n)). */
  get harmonic(): number {
    if (this.#harmonic === undefined) {
      let sum = 0;
      // Smallest terms first for a more accurate float sum.
      for (let k = this.n; k >= 1; k--) sum += k ** -this.s;
      this.#harmonic = sum;
    }
    return this.#harmonic;
  }

  /** Theoretical probability of `rank` (0-based). */
  probability(rank: number): number {
    if (rank < 0 || rank >= this.n) return 0;
    return (rank + 1) ** -this.s / this.harmonic;
  }

  /** Theoretical share of the `k` most popular ranks. */
  topShare(k: number): number {
    let sum = 0;
    for (let r = 0; r < Math.min(k, this.n); r++) sum += this.probability(r);
    return sum;
  }

  #h(x: number): number {
    return Math.exp(-this.s * Math.log(x));
  }

  #hIntegral(x: number): number {
    const logX = Math.log(x);
    return helper2((1 - this.s) * logX) * logX;
  }

  #hIntegralInverse(x: number): number {
    let t = x * (1 - this.s);
    if (t < -1) t = -1;
    return Math.exp(helper1(t) * x);
  }
}
