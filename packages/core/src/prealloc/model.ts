import { keyHash } from "../hash.ts";
import { ContentFeatures } from "./content-features.ts";
import { boundedRates, mostEvidence, type Evidence, type Pending, type Recent, type TypeStats } from "./content-model-records.ts";
import { mix, sigmoid } from "./features.ts";
import { DEFAULT_CONTENT_MODEL, type ContentEvent, type ContentModelConfig, type ContentModelState, type SurgePrediction, type SurgePredictor } from "./model-types.ts";
import { SurgeTracker, type PredictionQuality } from "./surge.ts";

export * from "./model-types.ts";
export { keyPrefix } from "./features.ts";

const OTHER = "_other";
/** Examples' worth of weight the prior has in a type's base rate. */
const BASE_RATE_PRIOR_WEIGHT = 20;
const UNTYPED = "_untyped";

/**
 * The content model: an online logistic regression over hashed features of each event (its type,
 * its key's tenant, whether key and tenant are new, time since the key's and the type's previous
 * event, the type's rate against its usual rate, the shardlet's rate against its usual rate, how
 * many events of the type the shardlet saw lately). Each event is a training example whose label
 * arrives one horizon later: did its shardlet begin to surge in the meantime? A shardlet's
 * probability is the strongest recent event's, fading over the horizon.
 *
 * Light by construction: every event updates a few counters; only the first
 * `examplesPerTypeStep` events of a type in a shardlet's step are scored and kept as examples (a
 * frequent type's later events in the step carry the same type features, and rare types, which
 * are what announces a surge, are always scored). Maps are bounded.
 */
export class ContentModel implements SurgePredictor {
  readonly kind = "content";
  readonly cfg: ContentModelConfig;
  readonly tracker: SurgeTracker;
  private readonly featurizer: ContentFeatures;
  private readonly w: Float64Array;
  private readonly g: Float64Array;
  private readonly types = new Map<string, TypeStats>();
  /** Base-rate counts of a restored state, applied when the type is first seen again. */
  private readonly restoredRates = new Map<string, { n: number; pos: number }>();
  private readonly recent = new Map<string, Map<TypeStats, Recent>>();
  private readonly evidence = new Map<string, Evidence>();
  private pending: Pending[] = [];
  private pendingHead = 0;
  private readonly sizes = new Map<string, { events: number; peakPerStep: number; n: number }>();
  /** The announcing type of each shardlet's current surge (to learn its size when it ends). */
  private readonly surgeCause = new Map<string, string>();
  private examples = 0;
  private lastAdvance = 0;
  private scored = 0;
  private observed = 0;

  constructor(cfg: Partial<ContentModelConfig> = {}, state?: ContentModelState) {
    this.cfg = { ...DEFAULT_CONTENT_MODEL, ...cfg };
    this.tracker = new SurgeTracker(this.cfg);
    const size = 1 << this.cfg.featureBits;
    this.featurizer = new ContentFeatures(this.cfg, this.tracker);
    this.w = new Float64Array(size);
    this.g = new Float64Array(size);
    // The bias starts at the prior's log-odds: an untrained model predicts nothing.
    this.w[0] = Math.log(this.cfg.prior / (1 - this.cfg.prior));
    if (state) this.restore(state);
  }

  /** Examples learnt so far: a snapshot's version. */
  get version(): number {
    return this.examples;
  }

  /** Events observed and events scored (the rest only moved counters). */
  get load(): { observed: number; scored: number } {
    return { observed: this.observed, scored: this.scored };
  }

  observe(e: ContentEvent): void {
    this.observed++;
    const ts = this.typeOf(e.type, e.atMs);
    const typeGapSec = (e.atMs - ts.lastMs) / 1000;
    const step = Math.floor(e.atMs / this.cfg.stepMs);
    if (step > ts.step) {
      // Fold the finished step (and the empty ones after it) into the type's usual rate.
      const gap = Math.min(step - ts.step, 64);
      ts.usual = 0.9 ** (gap - 1) * (0.9 * ts.usual + 0.1 * ts.count);
      ts.step = step;
      ts.count = 0;
    }
    ts.count++;
    ts.lastMs = e.atMs;
    const onset = this.tracker.write(e.shardletId, e.atMs);
    if (onset) {
      const ev = this.evidence.get(e.shardletId);
      if (ev?.cause != null && e.atMs - ev.atMs <= this.cfg.horizonMs) this.surgeCause.set(e.shardletId, ev.cause);
    }
    if (this.tracker.surging(e.shardletId)) return;
    let m = this.recent.get(e.shardletId);
    if (!m) this.recent.set(e.shardletId, (m = new Map<TypeStats, Recent>()));
    let r = m.get(ts);
    if (!r) m.set(ts, (r = { count: 0, lastMs: e.atMs, step, sampled: 0 }));
    if (e.atMs - r.lastMs > this.cfg.horizonMs) r.count = 0;
    r.count++;
    r.lastMs = e.atMs;
    if (r.step !== step) {
      r.step = step;
      r.sampled = 0;
    }
    if (r.sampled >= this.cfg.examplesPerTypeStep) return;
    r.sampled++;
    this.scored++;
    const features = this.featurizer.features(e, ts, typeGapSec, r.count, true);
    const probability = Math.max(this.score(features), this.baseRate(ts));
    this.keep(e, ts, probability);
    if (this.pending.length - this.pendingHead < this.cfg.maxPending) this.pending.push({ shardletId: e.shardletId, atMs: e.atMs, features, type: ts });
  }

  /** Probability that an event like `e` announces a surge of its shardlet, from its content alone (no state changes). */
  probabilityOf(e: ContentEvent): number {
    const ts = this.types.get(e.type ?? UNTYPED) ?? this.types.get(OTHER);
    const rate = this.restoredRates.get(e.type ?? UNTYPED);
    const probe: TypeStats = ts ?? { name: e.type ?? UNTYPED, seed: mix(keyHash(e.type ?? UNTYPED)), lastMs: e.atMs, step: 0, count: 0, usual: 0, examples: rate?.n ?? 0, positives: rate?.pos ?? 0 };
    const seen = this.recent.get(e.shardletId)?.get(probe)?.count ?? 0;
    return Math.max(this.score(this.featurizer.features(e, probe, (e.atMs - probe.lastMs) / 1000, seen + 1, false)), this.baseRate(probe));
  }

  advance(nowMs: number): void {
    if (nowMs < this.lastAdvance) return;
    this.lastAdvance = nowMs;
    for (const surge of this.tracker.advance(nowMs)) {
      const cause = this.surgeCause.get(surge.shardletId);
      this.surgeCause.delete(surge.shardletId);
      if (cause === undefined) continue;
      const s = this.sizes.get(cause) ?? { events: 0, peakPerStep: 0, n: 0 };
      const a = s.n === 0 ? 1 : 0.3;
      s.events += a * (surge.events - s.events);
      s.peakPerStep += a * (surge.peakPerStep - s.peakPerStep);
      s.n++;
      this.sizes.set(cause, s);
      if (this.sizes.size > this.cfg.maxTypes) this.sizes.delete(this.sizes.keys().next().value!);
    }
    const h = this.cfg.horizonMs;
    while (this.pendingHead < this.pending.length && this.pending[this.pendingHead]!.atMs + h <= nowMs) {
      const p = this.pending[this.pendingHead++]!;
      // The label asks what an alert needs: a surge far enough ahead to prepare for it.
      const y = this.tracker.onsetBetween(p.shardletId, p.atMs + this.cfg.minLeadMs - 1, p.atMs + h) ? 1 : 0;
      this.learn(p.features, y);
      p.type.examples++;
      p.type.positives += y;
    }
    if (this.pendingHead > 4_096 && this.pendingHead * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.pendingHead);
      this.pendingHead = 0;
    }
    for (const [id, ev] of this.evidence) if (nowMs - ev.atMs > h) this.evidence.delete(id);
    for (const [id, m] of this.recent) {
      for (const [t, r] of m) if (nowMs - r.lastMs > h) m.delete(t);
      if (m.size === 0) this.recent.delete(id);
    }
  }

  predictions(nowMs: number, minProbability = this.cfg.alertProbability): SurgePrediction[] {
    const out: SurgePrediction[] = [];
    for (const [shardletId, ev] of this.evidence) {
      const p = this.faded(ev, nowMs);
      if (p < minProbability || this.tracker.surging(shardletId)) continue;
      const size = ev.cause !== null ? this.sizes.get(ev.cause) : undefined;
      const usual = this.tracker.baseline(shardletId);
      const floor = Math.max(this.cfg.minSurgeEvents, usual * this.cfg.surgeFactor);
      out.push({
        shardletId,
        probability: p,
        expectedEvents: size ? Math.round(size.events) : floor * 2,
        expectedPeakPerStep: size ? Math.round(size.peakPerStep) : floor,
        atMs: ev.atMs,
        horizonEndsMs: ev.atMs + this.cfg.horizonMs,
        cause: ev.cause,
        keyHashes: [...ev.keyHashes],
        currentPerStep: this.tracker.current(shardletId),
        usualPerStep: usual,
      });
    }
    return out.sort((a, b) => b.probability - a.probability);
  }

  quality(): PredictionQuality {
    return this.tracker.quality();
  }

  /** Mean surge size learnt after events of `type`. */
  surgeSize(type: string): { events: number; peakPerStep: number } | null {
    const s = this.sizes.get(type);
    return s ? { events: s.events, peakPerStep: s.peakPerStep } : null;
  }

  snapshot(): ContentModelState {
    const weights: Array<[number, number, number]> = [];
    for (let i = 0; i < this.w.length; i++) if (this.w[i] !== 0 || this.g[i] !== 0) weights.push([i, this.w[i]!, this.g[i]!]);
    return {
      format: 1,
      kind: "content",
      examples: this.examples,
      featureBits: this.cfg.featureBits,
      weights,
      sizes: Object.fromEntries(this.sizes),
      typeRates: Object.fromEntries(boundedRates(this.types.values(), this.restoredRates, this.cfg.maxTypes)),
      quality: this.tracker.quality(),
    };
  }

  private restore(state: ContentModelState): void {
    if (state.format !== 1 || state.kind !== "content") throw new RangeError("not a content model state of format 1");
    if (state.featureBits !== this.cfg.featureBits) throw new RangeError(`state has ${state.featureBits} feature bits, the model ${this.cfg.featureBits}`);
    this.w.fill(0);
    for (const [i, w, g] of state.weights) {
      if (i >= 0 && i < this.w.length && Number.isFinite(w) && Number.isFinite(g)) {
        this.w[i] = w;
        this.g[i] = g;
      }
    }
    // A stored state is bounded as the live maps are, whoever wrote it.
    for (const [t, s] of mostEvidence(Object.entries(state.sizes), this.cfg.maxTypes)) this.sizes.set(t, { ...s });
    const rates = Object.entries(state.typeRates ?? {}).filter(([, r]) => Number.isFinite(r.pos) && r.n >= r.pos && r.pos >= 0);
    for (const [t, r] of mostEvidence(rates, this.cfg.maxTypes)) this.restoredRates.set(t, { n: r.n, pos: r.pos });
    this.examples = state.examples;
    this.tracker.restoreQuality(state.quality);
  }

  private faded(ev: Evidence, nowMs: number): number {
    const age = nowMs - ev.atMs;
    if (age > this.cfg.horizonMs) return 0;
    // Linear fade over the second half of the horizon: old evidence still counts, less.
    const half = this.cfg.horizonMs / 2;
    return age <= half ? ev.probability : ev.probability * (1 - (age - half) / half);
  }

  private keep(e: ContentEvent, ts: TypeStats, probability: number): void {
    const ev = this.evidence.get(e.shardletId);
    const h = keyHash(e.key);
    if (!ev || probability >= this.faded(ev, e.atMs)) {
      const same = ev !== undefined && ev.cause === ts.name && e.atMs - ev.atMs <= this.cfg.horizonMs;
      const keyHashes = same ? ev.keyHashes : [];
      if (keyHashes.length < 16 && !keyHashes.includes(h)) keyHashes.push(h);
      this.evidence.set(e.shardletId, { probability, atMs: e.atMs, cause: ts.name, keyHashes });
    } else if (ev.cause === ts.name && ev.keyHashes.length < 16 && !ev.keyHashes.includes(h)) {
      ev.keyHashes.push(h);
    }
    if (probability >= this.cfg.alertProbability) this.tracker.alert(e.shardletId, e.atMs);
  }

  private typeOf(type: string | null, atMs: number): TypeStats {
    const name = type ?? UNTYPED;
    let ts = this.types.get(name);
    if (ts) return ts;
    const key = this.types.size < this.cfg.maxTypes ? name : OTHER;
    ts = this.types.get(key);
    if (!ts) {
      const rate = this.restoredRates.get(key);
      // From here the live type carries these counts (and the snapshot writes them from it).
      this.restoredRates.delete(key);
      ts = { name: key, seed: mix(keyHash(key)), lastMs: atMs - 1e9, step: Math.floor(atMs / this.cfg.stepMs), count: 0, usual: 0, examples: rate?.n ?? 0, positives: rate?.pos ?? 0 };
      this.types.set(key, ts);
    }
    return ts;
  }

  /**
   * How often a surge followed events of this type, whatever their context, shrunk towards the
   * prior while the type has few examples. The logistic model spreads what a type announces over
   * its context features (gaps, rates), so a known announcing type seen in a context it has not
   * learnt (several announcements at once, the first minutes after a restart) would score low; the
   * base rate is the floor. Background and decoy types have a base rate near zero.
   */
  private baseRate(ts: TypeStats): number {
    const k = BASE_RATE_PRIOR_WEIGHT;
    return (ts.positives + this.cfg.prior * k) / (ts.examples + k);
  }

  private score(f: Int32Array): number {
    let z = 0;
    for (let i = 0; i < f.length; i++) z += this.w[f[i]!]!;
    return sigmoid(z);
  }

  private learn(f: Int32Array, y: number): void {
    const grad = this.score(f) - y;
    const lr = this.cfg.learningRate;
    for (let i = 0; i < f.length; i++) {
      const j = f[i]!;
      this.g[j] = this.g[j]! + grad * grad;
      // The 1 under the root damps the first steps: a rare gradient moves a weight by its size, not by a full step.
      this.w[j] = this.w[j]! - (lr * grad) / Math.sqrt(this.g[j] + 1);
    }
    this.examples++;
  }
}
