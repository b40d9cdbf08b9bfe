import { addTarget, closeWindow, PRUNE_EVERY, pruneRows, targetOf } from "./correlation-counts.ts";
import { slotFor } from "./correlation-slots.ts";
import { crossUpdate, pruneCross, typeCorrelations, type TypeCorrelation } from "./type-correlations.ts";
import {
  correlationOptionsSchema,
  emptyState,
  rescale,
  stateFromData,
  stateToData,
  type CorrelationData,
  type CorrelationOptions,
  type EngineState,
} from "./correlation-state.ts";

export type { CorrelationData, CorrelationOptions } from "./correlation-state.ts";
export { correlationOptionsSchema } from "./correlation-state.ts";
export type { TypeCorrelation } from "./type-correlations.ts";

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
const RESCALE_AT = 1e100;

/** The Wilson score interval of a proportion p out of n (fractional n allowed). */
function wilson(p: number, n: number): [low: number, high: number] {
  if (!(n > 0)) return [0, 1];
  const z2 = EVIDENCE_Z * EVIDENCE_Z;
  const centre = p + z2 / (2 * n);
  const half = EVIDENCE_Z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [(centre - half) / (1 + z2 / n), (centre + half) / (1 + z2 / n)];
}

/**
 * The chance of a read in a window with `busy` times the reads of the one `base` is the chance
 * for: reads as a Poisson process whose rate scales with the load (a shardlet read in nearly
 * every window cannot become likelier than certain; a rare one becomes `busy` times as likely).
 */
function busier(base: number, busy: number): number {
  return busy === 1 || !(base > 0) ? base : 1 - Math.pow(1 - Math.min(base, 1 - 1e-9), busy);
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
  #busy: { step: number; mean: number } | null = null;

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
      if (r.target) addTarget(st, s, r.target, r.count * upS);
      reads.push([s, r.count]);
    }
    // After the lookups: an eviction there also cleans the ring the products are taken with.
    if (st.opts.typeMatrix) crossUpdate(st, types);
    const L = st.opts.maxLagSteps;
    for (const o of st.ring) {
      const lag = now - o.step;
      for (const [s] of reads) if (!o.first.has(s)) o.first.set(s, lag);
    }
    while (st.ring.length > 0 && now - st.ring[0]!.step >= L) closeWindow(st, st.ring.shift()!);
    st.ring.push({ step: now, types, reads, first: new Map() });
    if (now % PRUNE_EVERY === PRUNE_EVERY - 1) {
      pruneRows(st);
      pruneCross(st);
    }
    st.step = now + 1;
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
   * once per unordered pair, in name order), short- and long-term; the strongest (by the larger of
   * |short| and |long|) first, at most `top` (default 20), |r| >= `minAbs` (default 0.3).
   */
  typeCorrelations(opts: { top?: number; minAbs?: number } = {}): TypeCorrelation[] {
    return typeCorrelations(this.#st, opts);
  }

  /**
   * The shardlets likely to be read within `maxLagSteps` steps after an event of `type`. The short-
   * and long-term estimates are blended by evidence: the short-term one weighs more the more often
   * the type occurred within its half-life, and alone once it contradicts the long-term one beyond
   * its own uncertainty (the pattern changed: the history is stale), so a change shows within
   * about one short half-life for a type with enough occurrences in it. An entry needs p >= minP,
   * lift >= minLift and evidence: at either time scale the Wilson lower bound of p must clear the
   * shardlet's base probability (at z = 3, as a type's row tests many shardlets), so a few chance
   * co-occurrences do not qualify.
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
    // A type whose rate follows the load (written mostly when everything is busy) is followed by
    // more reads of every shardlet, announced or not. Against the average window's base rate it
    // seems to announce every popular shardlet, and acting on that backfires: while the load is
    // high those shardlets are cached anyway, so the prefetches come when it is low, and the read
    // with it does not. So each shardlet's base is the one of windows as busy as the type's: the
    // reads in the steps the type occurred in over those of the average step, from the long-term
    // counts (how the type follows the load is a property of its source, like its lags). Only
    // raised: lowered for a type of quiet steps, it made pairs out of noise (more waste, no hits,
    // on seeds the cache benchmark does not report).
    const mean = this.#readsPerStep();
    const busy = mean > 0 && st.t.occL[a]! > 0 ? Math.max(1, st.t.loadL[a]! / st.t.occL[a]! / mean) : 1;
    const found: Array<[string, PrefetchTarget]> = [];
    for (const [s, cell] of row) {
      const id = st.shardlets.names[s];
      if (id === undefined) continue;
      // Lags are a property of the pipeline behind the reads, so the long-term counts name the lag.
      let jL = 0;
      let bestLag = 1;
      for (let k = 1; k <= L; k++) {
        jL += cell[k]!;
        if (cell[k]! > cell[bestLag]!) bestLag = k;
      }
      const jS = cell[0]!;
      const pS = st.t.occS[a]! > 0 ? jS / st.t.occS[a]! : 0;
      const pL = jL / st.t.occL[a]!;
      const baseS = busier(st.s.baseS[s]! / st.originsS, busy);
      const baseL = busier(st.s.baseL[s]! / st.originsL, busy);
      const [lowS, highS] = wilson(pS, nS);
      const w = lowS > pL || highS < pL ? 1 : lambda;
      const p = w * pS + (1 - w) * pL;
      const base = w * baseS + (1 - w) * baseL;
      if (p < minP || !(base > 0) || p / base < minLift) continue;
      if (!(lowS > baseS || wilson(pL, nL)[0] > baseL)) continue;
      found.push([id, { p, lagSteps: bestLag, lift: p / base, target: targetOf(st, s) }]);
    }
    found.sort((x, y) => y[1].p - x[1].p || (x[0] < y[0] ? -1 : 1));
    for (const [id, t] of found.slice(0, top)) out[id] = t;
    return out;
  }

  /** Reads of all shardlets in an average step (long-term), computed once per step. */
  #readsPerStep(): number {
    const st = this.#st;
    if (this.#busy?.step !== st.step) {
      let sum = 0;
      st.shardlets.names.forEach((id, i) => {
        if (id !== undefined) sum += st.s.readsL[i]!;
      });
      this.#busy = { step: st.step, mean: st.stepsL > 0 ? sum / st.stepsL : 0 };
    }
    return this.#busy.mean;
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
