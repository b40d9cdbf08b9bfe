import { slotFor } from "./correlation-slots.ts";
import {
  correlationOptionsSchema,
  emptyState,
  rescale,
  stateFromData,
  stateToData,
  type CorrelationData,
  type CorrelationOptions,
  type EngineState,
  type Origin,
} from "./correlation-state.ts";

export type { CorrelationData, CorrelationOptions } from "./correlation-state.ts";
export { correlationOptionsSchema } from "./correlation-state.ts";

export interface CorrelationStep {
  /** Events written in this step, per event type. */
  types: ReadonlyMap<string, number>;
  /** Reads in this step per shardlet id, with the partition (consumer member / edge label) that read it most, if known. */
  reads: ReadonlyMap<string, { count: number; target?: string | undefined }>;
}

export interface PrefetchTarget {
  /** P(the shardlet is read within the next maxLagSteps steps | the type occurred in this step). */
  p: number;
  /** The most likely step (after the event's) of the first read. */
  lagSteps: number;
  /** p over the shardlet's unconditional probability of a read in the same window. */
  lift: number;
  /** The partition that reads the shardlet most, lately. */
  target: string | null;
}

/** {eventType: {shardletId: PrefetchTarget}} */
export type ProbabilityMap = Record<string, Record<string, PrefetchTarget>>;

export interface PredictOptions {
  minP?: number;
  minLift?: number;
  topPerType?: number;
}

/**
 * Pseudo-occurrences of the long-term estimate in the blend: the short-term estimate takes over
 * once the type occurred a few times within the short half-life, and a rare type leans on its
 * history.
 */
const BLEND_PRIOR = 4;
/** One-sided z of the evidence test (~0.1%): a map of types x shardlets tests thousands of pairs. */
const EVIDENCE_Z = 3;
/** Occurrences (long-term, decayed) below which a type has no row at all. */
const MIN_OCCURRENCES = 3;
/** A type's shardlet entries beyond this are pruned to the strongest, so a frequent type stays bounded. */
const PAIRS_PER_TYPE = 512;
const RESCALE_AT = 1e100;

/** Lower end of the Wilson score interval for a proportion p out of n (fractional n allowed). */
function wilsonLow(p: number, n: number): number {
  if (!(n > 0)) return 0;
  const z2 = EVIDENCE_Z * EVIDENCE_Z;
  const centre = p + z2 / (2 * n);
  const half = EVIDENCE_Z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return (centre - half) / (1 + z2 / n);
}

/**
 * The event-correlation engine (seed 002): learns, from per-step counts of written event types
 * and of reads per shardlet, which reads tend to follow which event types, and how event types
 * follow each other. Time is discrete (one telemetry bucket per `step`); a caller with a gap in
 * its telemetry steps through empty observations so lags stay in steps.
 *
 * A step's read window (the next `maxLagSteps` steps) is counted only once it has closed, so every
 * estimate is over complete windows and none is biased low by windows still open.
 */
export class CorrelationEngine {
  #st: EngineState;

  constructor(opts: Partial<CorrelationOptions> = {}) {
    this.#st = emptyState(correlationOptionsSchema.parse(opts));
  }

  get options(): CorrelationOptions {
    return { ...this.#st.opts };
  }

  /** Steps observed so far. */
  get steps(): number {
    return this.#st.step;
  }

  step(obs: CorrelationStep): void {
    const st = this.#st;
    const now = st.step;
    st.upS *= st.growS;
    st.upL *= st.growL;
    if (st.upS > RESCALE_AT) rescale(st, "short");
    if (st.upL > RESCALE_AT) rescale(st, "long");
    const { upS, upL } = st;
    st.stepsS += upS;
    st.stepsL += upL;

    const types: Array<[number, number]> = [];
    for (const [name, count] of obs.types) {
      if (!(count > 0)) continue;
      const a = slotFor(st, "types", name, now);
      if (a < 0) continue;
      st.t.rateS[a]! += count * upS;
      st.t.rateL[a]! += count * upL;
      st.t.sqS[a]! += count * count * upS;
      st.t.sqL[a]! += count * count * upL;
      types.push([a, count]);
    }
    const reads: Array<[number, number]> = [];
    for (const [id, r] of obs.reads) {
      if (!(r.count > 0)) continue;
      const s = slotFor(st, "shardlets", id, now);
      if (s < 0) continue;
      st.s.readsS[s]! += r.count * upS;
      st.s.readsL[s]! += r.count * upL;
      if (r.target) this.#addTarget(s, r.target, r.count * upS);
      reads.push([s, r.count]);
    }
    // Slots may have been recycled by the lookups above, so stale references are gone before use.
    this.#crossUpdate(types);
    const L = st.opts.maxLagSteps;
    for (const o of st.ring) {
      const lag = now - o.step;
      for (const [s] of reads) if (!o.first.has(s)) o.first.set(s, lag);
    }
    while (st.ring.length > 0 && now - st.ring[0]!.step >= L) this.#complete(st.ring.shift()!);
    st.ring.push({ step: now, types, reads, first: new Map() });
    st.step = now + 1;
  }

  #addTarget(s: number, target: string, w: number): void {
    const m = (this.#st.targets[s] ??= new Map());
    m.set(target, (m.get(target) ?? 0) + w);
    // A handful of partitions is enough to name the main reader; the weakest makes room.
    if (m.size > 4) {
      let worst: string | null = null;
      for (const [k, v] of m) if (k !== target && (worst === null || v < m.get(worst)!)) worst = k;
      if (worst !== null) m.delete(worst);
    }
  }

  #crossUpdate(types: Array<[number, number]>): void {
    const st = this.#st;
    const L = st.opts.maxLagSteps;
    const T = st.opts.maxTypes;
    const lagged: Array<{ lag: number; types: Array<[number, number]> }> = [{ lag: 0, types }];
    for (const o of st.ring) lagged.push({ lag: st.step - o.step, types: o.types });
    for (const { lag, types: before } of lagged) {
      for (const [a, ca] of before) {
        for (const [b, cb] of types) {
          // Lag 0 is symmetric: kept once, under the lower slot.
          if (a === b || (lag === 0 && a > b)) continue;
          const key = a * T + b;
          let cell = st.cross.get(key);
          if (!cell) st.cross.set(key, (cell = new Float64Array(2 * L + 2)));
          cell[lag]! += ca * cb * st.upS;
          cell[L + 1 + lag]! += ca * cb * st.upL;
        }
      }
    }
  }

  /** The window of origin `o` closed: its occurrences and first reads enter the estimates. */
  #complete(o: Origin): void {
    const st = this.#st;
    const L = st.opts.maxLagSteps;
    const { upS, upL } = st;
    st.originsS += upS;
    st.originsL += upL;
    for (const [a] of o.types) {
      st.t.occS[a]! += upS;
      st.t.occL[a]! += upL;
    }
    for (const [s, lag] of o.first) {
      st.s.baseS[s]! += upS;
      st.s.baseL[s]! += upL;
      for (const [a] of o.types) {
        const row = (st.pairs[a] ??= new Map());
        let cell = row.get(s);
        if (!cell) row.set(s, (cell = new Float64Array(2 * L)));
        cell[lag - 1]! += upS;
        cell[L + lag - 1]! += upL;
        if (row.size > PAIRS_PER_TYPE) this.#prune(row);
      }
    }
    for (const [s, count] of o.reads) {
      st.s.selfNS[s]! += upS;
      st.s.selfNL[s]! += upL;
      const later = o.first.has(s);
      if (later) {
        st.s.selfJS[s]! += upS;
        st.s.selfJL[s]! += upL;
      }
      if (later || count > 1) {
        st.s.selfAS[s]! += upS;
        st.s.selfAL[s]! += upL;
      }
    }
  }

  /** Keeps the three quarters of a type's entries with the most long-term co-occurrences. */
  #prune(row: Map<number, Float64Array>): void {
    const L = this.#st.opts.maxLagSteps;
    const joint = (c: Float64Array) => {
      let sum = 0;
      for (let i = L; i < 2 * L; i++) sum += c[i]!;
      return sum;
    };
    const ranked = [...row].sort((x, y) => joint(x[1]) - joint(y[1]));
    for (const [s] of ranked.slice(0, ranked.length - Math.floor((PAIRS_PER_TYPE * 3) / 4))) row.delete(s);
  }

  /** Smoothed per-type rates (events per step), short- and long-term (exponential smoothing). */
  rates(): Array<{ type: string; short: number; long: number }> {
    const st = this.#st;
    const out: Array<{ type: string; short: number; long: number }> = [];
    st.types.names.forEach((type, a) => {
      if (type === undefined || st.stepsS <= 0) return;
      out.push({ type, short: st.t.rateS[a]! / st.stepsS, long: st.t.rateL[a]! / st.stepsL });
    });
    return out.sort((x, y) => y.long - x.long || (x.type < y.type ? -1 : 1));
  }

  /**
   * Lagged correlation between event types: for each ordered pair (a, b) and lag 0..maxLagSteps,
   * the exponentially weighted Pearson correlation of a's count at t with b's at t + lag (lag 0
   * once per unordered pair, in name order). Strongest first by the larger of |short| and |long|.
   */
  typeCorrelations(opts: { top?: number; minAbs?: number } = {}): Array<{ a: string; b: string; lagSteps: number; short: number; long: number }> {
    const st = this.#st;
    const top = opts.top ?? 20;
    const minAbs = opts.minAbs ?? 0.3;
    const L = st.opts.maxLagSteps;
    const T = st.opts.maxTypes;
    if (st.stepsS <= 0) return [];
    const corr = (a: number, b: number, sum: number, short: boolean): number => {
      const w = short ? st.stepsS : st.stepsL;
      const t = st.t;
      const ma = (short ? t.rateS[a]! : t.rateL[a]!) / w;
      const mb = (short ? t.rateS[b]! : t.rateL[b]!) / w;
      const va = (short ? t.sqS[a]! : t.sqL[a]!) / w - ma * ma;
      const vb = (short ? t.sqS[b]! : t.sqL[b]!) / w - mb * mb;
      if (!(va > 1e-12) || !(vb > 1e-12)) return 0;
      return Math.max(-1, Math.min(1, (sum / w - ma * mb) / Math.sqrt(va * vb)));
    };
    const out: Array<{ a: string; b: string; lagSteps: number; short: number; long: number }> = [];
    for (const [key, cell] of st.cross) {
      const ia = Math.floor(key / T);
      const ib = key % T;
      const na = st.types.names[ia];
      const nb = st.types.names[ib];
      if (na === undefined || nb === undefined) continue;
      for (let lag = 0; lag <= L; lag++) {
        const short = corr(ia, ib, cell[lag]!, true);
        const long = corr(ia, ib, cell[L + 1 + lag]!, false);
        if (Math.max(Math.abs(short), Math.abs(long)) < minAbs) continue;
        const [a, b] = lag === 0 && nb < na ? [nb, na] : [na, nb];
        out.push({ a, b, lagSteps: lag, short, long });
      }
    }
    const strength = (x: { short: number; long: number }) => Math.max(Math.abs(x.short), Math.abs(x.long));
    out.sort((x, y) => strength(y) - strength(x) || (x.a < y.a ? -1 : x.a > y.a ? 1 : x.b < y.b ? -1 : x.b > y.b ? 1 : x.lagSteps - y.lagSteps));
    return out.slice(0, top);
  }

  /**
   * The shardlets likely to be read within `maxLagSteps` steps after an event of `type`. The short-
   * and long-term estimates are blended by evidence (short-term once the type occurred a few times
   * within its half-life, so a changed pattern shows within about one short half-life); an entry
   * needs p >= minP, lift >= minLift and evidence: at either time scale the Wilson lower bound of p
   * must clear the shardlet's base probability, so a few chance co-occurrences do not qualify.
   */
  predict(type: string, opts: PredictOptions = {}): Record<string, PrefetchTarget> {
    const st = this.#st;
    const minP = opts.minP ?? 0.05;
    const minLift = opts.minLift ?? 1.2;
    const top = opts.topPerType ?? 20;
    const a = st.types.byName.get(type);
    const out: Record<string, PrefetchTarget> = {};
    if (a === undefined || st.originsS <= 0) return out;
    const nS = st.t.occS[a]! / st.upS;
    const nL = st.t.occL[a]! / st.upL;
    const row = st.pairs[a];
    if (!row || nL < MIN_OCCURRENCES) return out;
    const lambda = nS / (nS + BLEND_PRIOR);
    const L = st.opts.maxLagSteps;
    const found: Array<[string, PrefetchTarget]> = [];
    for (const [s, cell] of row) {
      const id = st.shardlets.names[s];
      if (id === undefined) continue;
      let jS = 0;
      let jL = 0;
      let bestLag = 1;
      let bestP = -1;
      for (let k = 0; k < L; k++) {
        jS += cell[k]!;
        jL += cell[L + k]!;
        const pk = lambda * (st.t.occS[a]! > 0 ? cell[k]! / st.t.occS[a]! : 0) + (1 - lambda) * (cell[L + k]! / st.t.occL[a]!);
        if (pk > bestP) [bestP, bestLag] = [pk, k + 1];
      }
      const pS = st.t.occS[a]! > 0 ? jS / st.t.occS[a]! : 0;
      const pL = jL / st.t.occL[a]!;
      const baseS = st.s.baseS[s]! / st.originsS;
      const baseL = st.s.baseL[s]! / st.originsL;
      const p = lambda * pS + (1 - lambda) * pL;
      const base = lambda * baseS + (1 - lambda) * baseL;
      if (p < minP || !(base > 0) || p / base < minLift) continue;
      if (!(wilsonLow(pS, nS) > baseS || wilsonLow(pL, nL) > baseL)) continue;
      found.push([id, { p, lagSteps: bestLag, lift: p / base, target: this.#targetOf(s) }]);
    }
    found.sort((x, y) => y[1].p - x[1].p || (x[0] < y[0] ? -1 : 1));
    for (const [id, t] of found.slice(0, top)) out[id] = t;
    return out;
  }

  /** `predict` for every type with a non-empty row. */
  probabilityMap(opts: PredictOptions = {}): ProbabilityMap {
    const out: ProbabilityMap = {};
    const names = this.#st.types.names.filter((n): n is string => n !== undefined).sort();
    for (const type of names) {
      const row = this.predict(type, opts);
      if (Object.keys(row).length > 0) out[type] = row;
    }
    return out;
  }

  /**
   * The probability that `shardletId` is read within the next `maxLagSteps` steps with no event to
   * go by, what a cache entry without a prediction is worth. Read `stepsSinceRead` steps ago
   * (within the window), it is re-read like its past reads were: at 0 (read in the current step)
   * counting another read in the same step. Otherwise it is its base rate.
   */
  readProbability(shardletId: string, stepsSinceRead?: number): number {
    const st = this.#st;
    const s = st.shardlets.byName.get(shardletId);
    if (s === undefined || st.originsS <= 0) return 0;
    const base = st.s.baseS[s]! / st.originsS;
    if (stepsSinceRead === undefined || stepsSinceRead < 0 || stepsSinceRead > st.opts.maxLagSteps || !(st.s.selfNS[s]! > 0)) return base;
    const n = st.s.selfNS[s]! / st.upS;
    const again = (stepsSinceRead === 0 ? st.s.selfAS[s]! : st.s.selfJS[s]!) / st.s.selfNS[s]!;
    const w = n / (n + BLEND_PRIOR);
    return w * again + (1 - w) * base;
  }

  #targetOf(s: number): string | null {
    const m = this.#st.targets[s];
    let best: string | null = null;
    let bestW = 0;
    if (m) for (const [k, w] of m) if (w > bestW || (w === bestW && best !== null && k < best)) [best, bestW] = [k, w];
    return best;
  }

  toData(): CorrelationData {
    return stateToData(this.#st);
  }

  static fromData(d: unknown): CorrelationEngine {
    const st = stateFromData(d);
    const engine = new CorrelationEngine(st.opts);
    engine.#st = st;
    return engine;
  }
}
