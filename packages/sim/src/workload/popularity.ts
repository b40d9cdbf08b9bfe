import { createRng, ZipfSampler } from "@shardcast/core";

/**
 * Zipf popularity over `n` keys: `share[i]` is the fraction of a stream's events key i receives.
 * Ranks are shuffled over key indexes with the seed, so the hottest key is a different key (and
 * hash) for every seed and stream.
 */
export function zipfShares(n: number, s: number, seed: number | string): { share: Float64Array; rankOf: Int32Array; byRank: Float64Array } {
  const rng = createRng(seed);
  const zipf = new ZipfSampler(n, s, rng.fork("zipf"));
  const byRank = new Float64Array(n);
  for (let r = 0; r < n; r++) byRank[r] = zipf.probability(r);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const rankOf = new Int32Array(n);
  const share = new Float64Array(n);
  order.forEach((key, rank) => {
    rankOf[key] = rank;
    share[key] = byRank[rank]!;
  });
  return { share, rankOf, byRank };
}

/**
 * Share of the key with initial `rank` after the ranking drifted by `shift` positions (fractional
 * shifts interpolate between neighbouring ranks): every key cools down one rank per unit of shift,
 * and the coldest key climbs to the top within one unit, the way a new item starts trending.
 */
export function driftedShare(byRank: Float64Array, rank: number, shift: number): number {
  const n = byRank.length;
  const pos = (((rank + shift) % n) + n) % n;
  const lo = Math.floor(pos);
  const f = pos - lo;
  return byRank[lo % n]! * (1 - f) + byRank[(lo + 1) % n]! * f;
}
