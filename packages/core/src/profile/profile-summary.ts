import { guaranteedTop, type HeavyHitter } from "../telemetry/space-saving.ts";
import { momentsStd } from "./moments.ts";
import type { QuantileSketch } from "./quantiles.ts";
import { PROFILE_TOP_ITEMS } from "./field-profile.ts";
import type { ShardletProfile } from "./shardlet-profile.ts";

export interface FieldSummary {
  path: string;
  seen: number;
  missingRate: number;
  nullRate: number;
  complexRate: number;
  /** Share of present values that were numbers. */
  numericShare: number;
  mean: number | null;
  std: number | null;
  min: number | null;
  max: number | null;
  distinct: number;
  topValues: Array<{ value: string; share: number }>;
  /** Share of present values taken by the most common one (1 = a constant field). */
  topShare: number;
}

export interface ProfileSummary {
  sampled: number;
  /** Sampled events whose fields were not profiled because the payload was too large. */
  oversize: number;
  distinctKeys: number;
  /** Keys by the share of sampled writes they certainly took (the sketch's lower bound). */
  topKeys: Array<{ key: string; share: number }>;
  /** Share of sampled writes certainly on the hottest key; near 0 when no key repeats. */
  topKeyShare: number;
  keyBins: number[];
  /** Median position of the sampled keys in the shardlet's range, in [0, 1]; null when nothing was sampled. */
  keyMedianPosition: number | null;
  sizes: { p50: number; p90: number; p99: number; mean: number; max: number } | null;
  ackP99Ms: number | null;
  readP99Ms: number | null;
  fields: FieldSummary[];
}

/** Median of the binned key positions, interpolated inside its bin. */
export function binnedMedian(bins: readonly number[]): number | null {
  const total = bins.reduce((a, b) => a + b, 0);
  if (total <= 0) return null;
  const half = total / 2;
  let acc = 0;
  for (let i = 0; i < bins.length; i++) {
    const b = bins[i]!;
    if (acc + b >= half && b > 0) return (i + (half - acc) / b) / bins.length;
    acc += b;
  }
  return 1;
}

function share(n: number, of: number): number {
  return of > 0 ? n / of : 0;
}

/** Shares of `of` by guaranteed count (see `guaranteedTop`): a field's top values and a shardlet's hottest keys alike. */
export function guaranteedShares(top: readonly HeavyHitter[], of: number): Array<{ item: string; share: number }> {
  return guaranteedTop(top).map((e) => ({ item: e.item, share: share(e.seen, of) }));
}

export function topValueShares(top: readonly HeavyHitter[], present: number): Array<{ value: string; share: number }> {
  return guaranteedShares(top, present).map((e) => ({ value: e.item, share: e.share }));
}

export function summarizeProfile(p: ShardletProfile): ProfileSummary {
  const topKeys = guaranteedShares(p.hotKeys.top(PROFILE_TOP_ITEMS), p.sampled).map((e) => ({ key: e.item, share: e.share }));
  const q = (s: QuantileSketch, x: number) => s.quantile(x) ?? 0;
  const fields: FieldSummary[] = [...p.fields].map(([path, f]) => {
    const present = f.seen - f.missing - f.nulls;
    const topValues = topValueShares(f.top.top(PROFILE_TOP_ITEMS), present);
    const m = f.numeric;
    return {
      path,
      seen: f.seen,
      missingRate: share(f.missing, f.seen),
      nullRate: share(f.nulls, f.seen),
      complexRate: share(f.complex, f.seen),
      numericShare: share(m.n, present),
      mean: m.n > 0 ? m.mean : null,
      std: m.n > 0 ? momentsStd(m) : null,
      min: m.n > 0 ? m.min : null,
      max: m.n > 0 ? m.max : null,
      distinct: Math.round(f.distinct.estimate()),
      topValues,
      topShare: topValues[0]?.share ?? 0,
    };
  });
  fields.sort((a, b) => (a.path < b.path ? -1 : 1));
  return {
    sampled: p.sampled,
    oversize: p.oversize,
    distinctKeys: Math.round(p.keys.estimate()),
    topKeys,
    topKeyShare: topKeys[0]?.share ?? 0,
    keyBins: [...p.keyBins],
    keyMedianPosition: binnedMedian(p.keyBins),
    sizes: p.sizes.count > 0 ? { p50: q(p.sizes, 0.5), p90: q(p.sizes, 0.9), p99: q(p.sizes, 0.99), mean: p.sizes.mean ?? 0, max: p.sizes.max ?? 0 } : null,
    ackP99Ms: p.ack.quantile(0.99),
    readP99Ms: p.read.quantile(0.99),
    fields,
  };
}
