/**
 * What the additive Holt-Winters models (single- and double-seasonal) share: the start from the
 * first two blocks of history, the damped-trend sums and the coordinate search of a fit.
 */

export interface TwoBlockStart {
  /** Means of the first and the second block. */
  m1: number;
  m2: number;
  /** Level as of the end of the first block, and the slope per step between the two means. */
  level: number;
  trend: number;
  /** Per position in a block, its mean deviation from the block's mean over the two blocks. */
  deviation: Float64Array;
}

/** Initial states from the first two blocks of `len` steps (a season, or a week): needs 2 × len points. */
export function twoBlockStart(y: ArrayLike<number>, len: number): TwoBlockStart {
  let m1 = 0;
  let m2 = 0;
  for (let i = 0; i < len; i++) {
    m1 += y[i]!;
    m2 += y[len + i]!;
  }
  m1 /= len;
  m2 /= len;
  const deviation = new Float64Array(len);
  for (let i = 0; i < len; i++) deviation[i] = (y[i]! - m1 + (y[len + i]! - m2)) / 2;
  const trend = (m2 - m1) / len;
  return { m1, m2, level: m1 + trend * ((len - 1) / 2), trend, deviation };
}

/** The damped trend's multipliers: entry h - 1 is phi + phi² + … + phi^h, for h = 1..n. */
export function dampedTrendSums(phi: number, n: number): Float64Array {
  const out = new Float64Array(n);
  let damp = 0;
  let pw = 1;
  for (let h = 0; h < n; h++) {
    pw *= phi;
    damp += pw;
    out[h] = damp;
  }
  return out;
}

/**
 * Coordinate search from the best point of a grid: each round tries every free parameter one step
 * down and one up (`move` gives the new value, clamped to its range, from the current one, the
 * direction and the round's step), keeps a change that lowers the cost, then halves the step.
 */
export function refineCoordinates<P extends Record<K, number>, K extends keyof P>(
  start: { best: P; cost: number },
  free: readonly K[],
  rounds: number,
  move: (key: K, current: number, dir: number, step: number) => number,
  cost: (p: P) => number,
): { best: P; cost: number } {
  let { best, cost: bestCost } = start;
  let step = 0.1;
  for (let round = 0; round < rounds; round++) {
    for (const key of free) {
      for (const dir of [-1, 1]) {
        const value = move(key, best[key], dir, step);
        if (value === best[key]) continue;
        const p = { ...best, [key]: value };
        const c = cost(p);
        if (c < bestCost) {
          bestCost = c;
          best = p;
        }
      }
    }
    step /= 2;
  }
  return { best, cost: bestCost };
}
