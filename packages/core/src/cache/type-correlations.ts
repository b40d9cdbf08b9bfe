import type { EngineState } from "./correlation-state.ts";

/**
 * The lagged correlation matrix between event types (seed 002's "correlation matrix"), kept as
 * exponentially decayed co-moments in the engine's state: for types a, b and lag k, the sum over
 * steps t of count(a, t - k) x count(b, t), short and long term. Only pairs that occur together
 * are stored, and at most `CROSS_PAIRS` of them.
 */
export interface TypeCorrelation {
  a: string;
  b: string;
  lagSteps: number;
  short: number;
  long: number;
}

/** Type pairs tracked; a full matrix takes no new pairs until `pruneCross` cuts it to the strongest. */
const CROSS_PAIRS = 4096;
/**
 * Steps with the type (decayed) below which its coefficients at that time scale are reported as 0:
 * a type seen twice within the short half-life correlates strongly with something by chance.
 */
const MIN_OCCURRENCES = 5;

/** Adds step `st.step`'s products with the steps still in the ring (lags 1..L) and itself (lag 0). */
export function crossUpdate(st: EngineState, types: ReadonlyArray<readonly [number, number]>): void {
  const L = st.opts.maxLagSteps;
  const T = st.opts.maxTypes;
  // Each earlier type's counts by lag, so a pair's cell is looked up once per step, not per lag.
  const byLag = new Map<number, Float64Array>();
  const note = (a: number, lag: number, c: number) => {
    let v = byLag.get(a);
    if (!v) byLag.set(a, (v = new Float64Array(L + 1)));
    v[lag] = c;
  };
  for (const [a, c] of types) note(a, 0, c);
  for (const o of st.ring) for (const [a, c] of o.types) note(a, st.step - o.step, c);
  for (const [a, counts] of byLag) {
    for (const [b, cb] of types) {
      if (a === b) continue;
      const key = a * T + b;
      let cell = st.cross.get(key);
      if (!cell) {
        if (st.cross.size >= CROSS_PAIRS) continue;
        st.cross.set(key, (cell = new Float64Array(2 * L + 2)));
      }
      // Lag 0 is symmetric: kept once, under the lower slot.
      for (let lag = a < b ? 0 : 1; lag <= L; lag++) {
        const x = counts[lag]! * cb;
        if (x === 0) continue;
        cell[lag]! += x * st.upS;
        cell[L + 1 + lag]! += x * st.upL;
      }
    }
  }
}

/** Each type's counts in the steps still in the ring, by steps before the latest (0 = the latest). */
function recentCounts(st: EngineState): Map<number, Float64Array> {
  const out = new Map<number, Float64Array>();
  const latest = st.step - 1;
  for (const o of st.ring) {
    for (const [a, c] of o.types) {
      let v = out.get(a);
      if (!v) out.set(a, (v = new Float64Array(st.opts.maxLagSteps + 1)));
      v[latest - o.step] = c;
    }
  }
  return out;
}

/**
 * Weighted Pearson correlation of a(t - lag) with b(t). The mean and variance of a are those of the
 * lagged series (its sums without its latest `lag` steps, re-weighted by `lag` steps of growth):
 * with a's plain moments instead, whatever a did in its last few steps would show up as a
 * correlation with everything. 0 for a constant series or a type seen too rarely.
 */
function corr(st: EngineState, recent: Map<number, Float64Array>, a: number, b: number, lag: number, sum: number, short: boolean): number {
  const t = st.t;
  const up = short ? st.upS : st.upL;
  const occ = short ? t.occS : t.occL;
  if (Math.min(occ[a]!, occ[b]!) / up < MIN_OCCURRENCES) return 0;
  const grow = short ? st.growS : st.growL;
  const w = short ? st.stepsS : st.stepsL;
  let sa = short ? t.rateS[a]! : t.rateL[a]!;
  let qa = short ? t.sqS[a]! : t.sqL[a]!;
  const r = recent.get(a);
  if (lag > 0 && r) {
    for (let j = 0; j < lag; j++) {
      const u = up / grow ** j;
      sa -= r[j]! * u;
      qa -= r[j]! * r[j]! * u;
    }
  }
  sa *= grow ** lag;
  qa *= grow ** lag;
  const ma = sa / w;
  const mb = (short ? t.rateS[b]! : t.rateL[b]!) / w;
  const va = qa / w - ma * ma;
  const vb = (short ? t.sqS[b]! : t.sqL[b]!) / w - mb * mb;
  if (!(va > 1e-12) || !(vb > 1e-12)) return 0;
  return Math.max(-1, Math.min(1, (sum / w - ma * mb) / Math.sqrt(va * vb)));
}

/** Every stored coefficient, short and long, unsorted. */
function* coefficients(st: EngineState): Generator<{ key: number; a: number; b: number; lag: number; short: number; long: number }> {
  const L = st.opts.maxLagSteps;
  const T = st.opts.maxTypes;
  const recent = recentCounts(st);
  for (const [key, cell] of st.cross) {
    const a = Math.floor(key / T);
    const b = key % T;
    for (let lag = a < b ? 0 : 1; lag <= L; lag++) {
      yield { key, a, b, lag, short: corr(st, recent, a, b, lag, cell[lag]!, true), long: corr(st, recent, a, b, lag, cell[L + 1 + lag]!, false) };
    }
  }
}

const strength = (x: { short: number; long: number }) => Math.max(Math.abs(x.short), Math.abs(x.long));

export function typeCorrelations(st: EngineState, opts: { top?: number; minAbs?: number }): TypeCorrelation[] {
  const top = opts.top ?? 20;
  const minAbs = opts.minAbs ?? 0.3;
  if (st.stepsS <= 0) return [];
  const out: TypeCorrelation[] = [];
  for (const c of coefficients(st)) {
    const na = st.types.names[c.a];
    const nb = st.types.names[c.b];
    if (na === undefined || nb === undefined || strength(c) < minAbs) continue;
    const [a, b] = c.lag === 0 && nb < na ? [nb, na] : [na, nb];
    out.push({ a, b, lagSteps: c.lag, short: c.short, long: c.long });
  }
  out.sort((x, y) => strength(y) - strength(x) || (x.a < y.a ? -1 : x.a > y.a ? 1 : x.b < y.b ? -1 : x.b > y.b ? 1 : x.lagSteps - y.lagSteps));
  return out.slice(0, top);
}

/** A full matrix is cut to the three quarters of its pairs with the strongest correlation at any lag. */
export function pruneCross(st: EngineState): void {
  if (st.cross.size < CROSS_PAIRS) return;
  const best = new Map<number, number>();
  for (const c of coefficients(st)) best.set(c.key, Math.max(best.get(c.key) ?? 0, strength(c)));
  const ranked = [...best].sort((x, y) => x[1] - y[1] || x[0] - y[0]);
  for (const [key] of ranked.slice(0, st.cross.size - Math.floor((CROSS_PAIRS * 3) / 4))) st.cross.delete(key);
}
