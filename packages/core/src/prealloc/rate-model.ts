import { DEFAULT_CONTENT_MODEL, type ContentEvent, type SurgePrediction, type SurgePredictor } from "./model.ts";
import { SurgeTracker, type PredictionQuality, type SurgeConfig } from "./surge.ts";

export interface RateModelConfig extends SurgeConfig {
  /** Alert when the shardlet's writes over the last `windowMs` reach this multiple of its usual rate... */
  rampFactor: number;
  /** ... and at least this many events in the window. */
  minEvents: number;
  windowMs: number;
}

/**
 * The type-blind baseline: what a predictor that only counts writes can do. It alerts when a
 * shardlet's writes over a short sliding window ramp up past `rampFactor` times its usual rate
 * (before they reach the surge threshold), so it sees a surge coming only once the surge's own
 * ramp has begun, and it takes every noisy wobble of the rate for a beginning.
 */
export class RateModel implements SurgePredictor {
  readonly kind = "rate";
  readonly cfg: RateModelConfig;
  readonly tracker: SurgeTracker;
  private readonly windows = new Map<string, { times: number[]; head: number }>();
  private readonly alerted = new Map<string, { atMs: number; probability: number }>();

  constructor(cfg: Partial<RateModelConfig> = {}) {
    this.cfg = {
      stepMs: DEFAULT_CONTENT_MODEL.stepMs,
      horizonMs: DEFAULT_CONTENT_MODEL.horizonMs,
      surgeFactor: DEFAULT_CONTENT_MODEL.surgeFactor,
      minSurgeEvents: DEFAULT_CONTENT_MODEL.minSurgeEvents,
      minLeadMs: DEFAULT_CONTENT_MODEL.minLeadMs,
      rampFactor: 2,
      minEvents: 10,
      windowMs: DEFAULT_CONTENT_MODEL.stepMs,
      ...cfg,
    };
    this.tracker = new SurgeTracker(this.cfg);
  }

  observe(e: ContentEvent): void {
    this.tracker.write(e.shardletId, e.atMs);
    if (this.tracker.surging(e.shardletId)) return;
    let w = this.windows.get(e.shardletId);
    if (!w) this.windows.set(e.shardletId, (w = { times: [], head: 0 }));
    w.times.push(e.atMs);
    while (w.head < w.times.length && w.times[w.head]! <= e.atMs - this.cfg.windowMs) w.head++;
    if (w.head > 1024) {
      w.times.splice(0, w.head);
      w.head = 0;
    }
    const inWindow = w.times.length - w.head;
    const usual = (this.tracker.baseline(e.shardletId) * this.cfg.windowMs) / this.cfg.stepMs;
    const ratio = inWindow / Math.max(usual, 1);
    if (inWindow >= this.cfg.minEvents && ratio >= this.cfg.rampFactor) {
      const probability = Math.min(1, ratio / (this.cfg.surgeFactor * 1.0));
      if (this.tracker.alert(e.shardletId, e.atMs)) this.alerted.set(e.shardletId, { atMs: e.atMs, probability });
    }
  }

  advance(nowMs: number): void {
    this.tracker.advance(nowMs);
    for (const [id, a] of this.alerted) if (nowMs - a.atMs > this.cfg.horizonMs) this.alerted.delete(id);
    for (const [id, w] of this.windows) if (w.times.length === w.head || w.times[w.times.length - 1]! <= nowMs - this.cfg.windowMs) this.windows.delete(id);
  }

  predictions(nowMs: number, minProbability = 0): SurgePrediction[] {
    const out: SurgePrediction[] = [];
    for (const [shardletId, a] of this.alerted) {
      if (a.probability < minProbability || this.tracker.surging(shardletId) || nowMs - a.atMs > this.cfg.horizonMs) continue;
      const usual = this.tracker.baseline(shardletId);
      const floor = Math.max(this.cfg.minSurgeEvents, usual * this.cfg.surgeFactor);
      out.push({
        shardletId,
        probability: a.probability,
        expectedEvents: floor * 2,
        expectedPeakPerStep: floor,
        atMs: a.atMs,
        horizonEndsMs: a.atMs + this.cfg.horizonMs,
        cause: null,
        keyHashes: [],
        currentPerStep: this.tracker.current(shardletId),
        usualPerStep: usual,
      });
    }
    return out.sort((x, y) => y.probability - x.probability);
  }

  quality(): PredictionQuality {
    return this.tracker.quality();
  }
}
