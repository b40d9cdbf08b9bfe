/**
 * Count, mean, variance (as M2, the sum of squared deviations), min and max of a numeric field.
 * Updates are Welford's; merges are Chan et al.'s pairwise formula, so two edges' moments merged
 * equal (up to rounding) the moments of one edge that saw both streams.
 */
export interface MomentsData {
  n: number;
  mean: number;
  m2: number;
  min: number;
  max: number;
}

export function emptyMoments(): MomentsData {
  return { n: 0, mean: 0, m2: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY };
}

export function addMoment(m: MomentsData, x: number): void {
  m.n++;
  const d = x - m.mean;
  m.mean += d / m.n;
  m.m2 += d * (x - m.mean);
  if (x < m.min) m.min = x;
  if (x > m.max) m.max = x;
}

export function mergeMoments(a: MomentsData, b: MomentsData): MomentsData {
  if (b.n === 0) return { ...a };
  if (a.n === 0) return { ...b };
  const n = a.n + b.n;
  const d = b.mean - a.mean;
  return {
    n,
    mean: a.mean + (d * b.n) / n,
    m2: a.m2 + b.m2 + (d * d * a.n * b.n) / n,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
  };
}

/** Population standard deviation (the profile describes what was seen, not a sample estimate). */
export function momentsStd(m: MomentsData): number {
  return m.n > 0 ? Math.sqrt(Math.max(0, m.m2 / m.n)) : 0;
}

/** JSON has no infinity: an empty field's min and max travel as null. */
export function momentsToJson(m: MomentsData): { n: number; mean: number; m2: number; min: number | null; max: number | null } {
  return { n: m.n, mean: m.mean, m2: m.m2, min: m.n > 0 ? m.min : null, max: m.n > 0 ? m.max : null };
}

export function momentsFromJson(v: unknown): MomentsData {
  const o = (v ?? {}) as Record<string, unknown>;
  const num = (x: unknown, d: number) => (typeof x === "number" && Number.isFinite(x) ? x : d);
  const n = Math.max(0, Math.floor(num(o.n, 0)));
  if (n === 0) return emptyMoments();
  return { n, mean: num(o.mean, 0), m2: Math.max(0, num(o.m2, 0)), min: num(o.min, 0), max: num(o.max, 0) };
}
