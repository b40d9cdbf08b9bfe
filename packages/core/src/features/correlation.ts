/**
 * Pearson correlation of two aligned series (the common prefix when lengths differ). 0 when either
 * is constant or shorter than two steps: no evidence of co-access is not evidence against it.
 */
export function pearson(a: readonly number[], b: readonly number[]): number {
  const n = Math.min(a.length, b.length);
  if (n < 2) return 0;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    cov += da * db;
    va += da * da;
    vb += db * db;
  }
  if (va <= 0 || vb <= 0) return 0;
  const r = cov / Math.sqrt(va * vb);
  return Math.max(-1, Math.min(1, r));
}

export interface CorrelatedPair {
  a: string;
  b: string;
  r: number;
}

/**
 * The most strongly correlated pairs among aligned series (shardlets' or keys' loads per bucket),
 * strongest |r| first, at most `top`, only those with |r| >= `minAbs`. Pairs are named in id order.
 * O(n² · length): meant for the shardlets of a stream or the hot keys of a window.
 */
export function topCorrelatedPairs(
  series: ReadonlyMap<string, readonly number[]>,
  opts: { top?: number; minAbs?: number } = {},
): CorrelatedPair[] {
  const top = opts.top ?? 10;
  const minAbs = opts.minAbs ?? 0.5;
  const ids = [...series.keys()].sort();
  const pairs: CorrelatedPair[] = [];
  for (let i = 0; i < ids.length; i++) {
    for (let j = i + 1; j < ids.length; j++) {
      const r = pearson(series.get(ids[i]!)!, series.get(ids[j]!)!);
      if (Math.abs(r) >= minAbs) pairs.push({ a: ids[i]!, b: ids[j]!, r });
    }
  }
  pairs.sort((x, y) => Math.abs(y.r) - Math.abs(x.r) || (x.a < y.a ? -1 : x.a > y.a ? 1 : x.b < y.b ? -1 : 1));
  return pairs.slice(0, top);
}

/**
 * A co-access covariate for `targetId`: per step, the mean load of its positively correlated
 * partners (|r| >= `minAbs`, the `top` strongest), each weighted by r. Load on a partner tends to
 * come with load on the target, so a partner that leads is an early signal. Zeros without partners.
 */
export function coAccessLoad(
  targetId: string,
  series: ReadonlyMap<string, readonly number[]>,
  opts: { top?: number; minAbs?: number } = {},
): number[] {
  const target = series.get(targetId);
  if (!target) return [];
  const minAbs = opts.minAbs ?? 0.5;
  const partners: Array<{ id: string; r: number }> = [];
  for (const [id, s] of series) {
    if (id === targetId) continue;
    const r = pearson(target, s);
    if (r >= minAbs) partners.push({ id, r });
  }
  partners.sort((x, y) => y.r - x.r || (x.id < y.id ? -1 : 1));
  const chosen = partners.slice(0, opts.top ?? 3);
  const out = new Array<number>(target.length).fill(0);
  if (chosen.length === 0) return out;
  let weight = 0;
  for (const p of chosen) weight += p.r;
  for (const p of chosen) {
    const s = series.get(p.id)!;
    for (let i = 0; i < out.length; i++) out[i]! += ((s[i] ?? 0) * p.r) / weight;
  }
  return out;
}
