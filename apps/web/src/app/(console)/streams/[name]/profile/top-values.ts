/** What a field card shows of a field's values: a frequent-values chart only when there are frequent values. */

export interface TopValue {
  value: string;
  share: number;
}

/** Numbers by value (13.58 before 147.61), anything else as text. */
function byValue(a: string, b: string): number {
  const x = Number(a);
  const y = Number(b);
  if (a.trim() !== "" && b.trim() !== "" && Number.isFinite(x) && Number.isFinite(y) && x !== y) return x - y;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Largest share first; equal shares by value, so a chart of prices reads in order. */
export function sortTopValues(values: readonly TopValue[]): TopValue[] {
  return [...values].sort((a, b) => b.share - a.share || byValue(a.value, b.value));
}

/** Below this share the commonest value is not "frequent": bars of such values only show the sketch's noise. */
export const FREQUENT_SHARE = 0.01;
/** Distinct values at this fraction of the present ones or more make a field an identifier or a measurement. */
export const DISTINCT_FRACTION = 0.8;

/**
 * Why a chart of top values would mislead, or null when it would not: the values are nearly all
 * different (the distinct count is an estimate, hence "nearly") and none takes a noticeable share,
 * or no value reaches `FREQUENT_SHARE` at all.
 */
export function noFrequentValues(f: { seen: number; missingRate: number; nullRate: number; distinct: number; topShare: number }): "nearly-distinct" | "spread" | null {
  const present = f.seen * (1 - f.missingRate - f.nullRate);
  if (present <= 0) return null;
  if (f.distinct >= DISTINCT_FRACTION * present && f.topShare < 5 * FREQUENT_SHARE) return "nearly-distinct";
  return f.topShare < FREQUENT_SHARE ? "spread" : null;
}
