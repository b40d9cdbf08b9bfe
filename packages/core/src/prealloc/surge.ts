/**
 * The labels of pre-allocation: when a shardlet's writes surge. Per shardlet, writes are counted
 * in steps; a step whose count reaches `surgeFactor` times the shardlet's usual count (an
 * exponentially weighted mean of its quiet steps) and at least `minSurgeEvents` starts a surge,
 * which lasts until a step falls below half the threshold. The onset is the moment the count
 * crossed the threshold, so "a surge begins within the horizon" is known as it happens.
 *
 * The same tracker scores predictors: an alert at t is a hit when a surge begins in (t, t + H];
 * a surge is predicted when an alert came in the horizon before its onset. Both the content model
 * and the type-blind baseline use it, so their precision and recall are counted the same way.
 */

export interface SurgeConfig {
  stepMs: number;
  horizonMs: number;
  surgeFactor: number;
  minSurgeEvents: number;
  /**
   * An alert counts (for precision and recall) only when it came at least this long before the
   * onset: a warning during the surge's own ramp leaves no time to prepare.
   */
  minLeadMs: number;
}

/** A surge as the tracker saw it. */
export interface SurgeOnset {
  shardletId: string;
  atMs: number;
  /** Events from the onset until the surge ended (so far, while it lasts). */
  events: number;
  /** The highest step count of the surge. */
  peakPerStep: number;
  endedAtMs: number | null;
  /** The first alert of the horizon before the onset, if any. */
  alertedAtMs: number | null;
}

/** Precision and recall of a predictor, counted on matured alerts and on onsets. */
export interface PredictionQuality {
  /** Alerts whose horizon has passed. */
  alerts: number;
  /** ... of which a surge began within the horizon. */
  hits: number;
  onsets: number;
  /** Onsets an alert announced. */
  predicted: number;
  /** hits / alerts (null before the first matured alert). */
  precision: number | null;
  /** predicted / onsets (null before the first onset). */
  recall: number | null;
  /** Median seconds between the alert and the onset it announced. */
  medianLeadSec: number | null;
}

interface ShardletState {
  step: number;
  count: number;
  baseline: number;
  quietSteps: number;
  surge: SurgeOnset | null;
  /** Onsets of the last horizon or so (bounded). */
  onsets: number[];
  /** Open alert (its horizon has not passed), if any. */
  alertAtMs: number | null;
  lastMs: number;
}

const MAX_ONSETS_KEPT = 8;
/** Quiet steps needed before a shardlet's usual rate is trusted (before that, only `minSurgeEvents` counts). */
const WARMUP_STEPS = 3;

export class SurgeTracker {
  private readonly shardlets = new Map<string, ShardletState>();
  private readonly pendingAlerts: Array<{ shardletId: string; atMs: number }> = [];
  private readonly leads: number[] = [];
  private readonly ended: SurgeOnset[] = [];
  private counts = { alerts: 0, hits: 0, onsets: 0, predicted: 0 };

  constructor(readonly cfg: SurgeConfig) {}

  /** Counts `n` writes to a shardlet at `atMs` (events must come in time order per shardlet). Returns the onset if this write started a surge. */
  write(shardletId: string, atMs: number, n = 1): SurgeOnset | null {
    const s = this.state(shardletId, atMs);
    this.roll(s, atMs);
    s.count += n;
    s.lastMs = atMs;
    if (s.surge) {
      s.surge.events += n;
      if (s.count > s.surge.peakPerStep) s.surge.peakPerStep = s.count;
      return null;
    }
    if (s.count < this.threshold(s)) return null;
    const onset: SurgeOnset = { shardletId, atMs, events: s.count, peakPerStep: s.count, endedAtMs: null, alertedAtMs: null };
    s.surge = onset;
    s.onsets.push(atMs);
    if (s.onsets.length > MAX_ONSETS_KEPT) s.onsets.shift();
    this.counts.onsets++;
    if (s.alertAtMs !== null && atMs - s.alertAtMs <= this.cfg.horizonMs && atMs - s.alertAtMs >= this.cfg.minLeadMs) {
      onset.alertedAtMs = s.alertAtMs;
      this.counts.predicted++;
      this.leads.push((atMs - s.alertAtMs) / 1000);
      if (this.leads.length > 1_000) this.leads.shift();
    }
    return onset;
  }

  /** Closes every shardlet's steps up to `nowMs` (ends surges of shardlets gone quiet) and matures alerts. */
  advance(nowMs: number): SurgeOnset[] {
    for (const [id, s] of this.shardlets) {
      this.roll(s, nowMs);
      // Forget shardlets quiet for long (bounded memory); their usual rate is learnt again.
      if (!s.surge && nowMs - s.lastMs > 20 * this.cfg.horizonMs && s.alertAtMs === null) this.shardlets.delete(id);
    }
    while (this.pendingAlerts.length > 0 && this.pendingAlerts[0]!.atMs + this.cfg.horizonMs <= nowMs) {
      const a = this.pendingAlerts.shift()!;
      this.counts.alerts++;
      if (this.onsetBetween(a.shardletId, a.atMs + this.cfg.minLeadMs - 1, a.atMs + this.cfg.horizonMs)) this.counts.hits++;
      const s = this.shardlets.get(a.shardletId);
      if (s && s.alertAtMs === a.atMs) s.alertAtMs = null;
    }
    return this.ended.splice(0);
  }

  /** Records a predictor's alert for a shardlet; ignored while one is open or the shardlet surges. Returns whether it counted. */
  alert(shardletId: string, atMs: number): boolean {
    const s = this.state(shardletId, atMs);
    if (s.surge) return false;
    if (s.alertAtMs !== null && atMs - s.alertAtMs < this.cfg.horizonMs) return false;
    s.alertAtMs = atMs;
    this.pendingAlerts.push({ shardletId, atMs });
    return true;
  }

  /** Whether a surge began in (fromMs, toMs]. */
  onsetBetween(shardletId: string, fromMs: number, toMs: number): boolean {
    const s = this.shardlets.get(shardletId);
    if (!s) return false;
    for (const t of s.onsets) if (t > fromMs && t <= toMs) return true;
    return false;
  }

  surging(shardletId: string): boolean {
    return this.shardlets.get(shardletId)?.surge != null;
  }

  /** The shardlet's usual writes per step (0 when unknown). */
  baseline(shardletId: string): number {
    return this.shardlets.get(shardletId)?.baseline ?? 0;
  }

  /** Whether the shardlet's usual rate is known (enough quiet steps seen). */
  warm(shardletId: string): boolean {
    return (this.shardlets.get(shardletId)?.quietSteps ?? 0) >= WARMUP_STEPS;
  }

  /** Writes in the shardlet's current step so far. */
  current(shardletId: string): number {
    return this.shardlets.get(shardletId)?.count ?? 0;
  }

  openAlert(shardletId: string): number | null {
    return this.shardlets.get(shardletId)?.alertAtMs ?? null;
  }

  quality(): PredictionQuality {
    const { alerts, hits, onsets, predicted } = this.counts;
    const sorted = [...this.leads].sort((a, b) => a - b);
    return {
      ...this.counts,
      precision: alerts > 0 ? hits / alerts : null,
      recall: onsets > 0 ? predicted / onsets : null,
      medianLeadSec: sorted.length > 0 ? sorted[Math.floor(sorted.length / 2)]! : null,
    };
  }

  /** Restores counters from a snapshot (the shardlets' states are learnt again from traffic). */
  restoreQuality(q: Pick<PredictionQuality, "alerts" | "hits" | "onsets" | "predicted">): void {
    this.counts = { alerts: q.alerts, hits: q.hits, onsets: q.onsets, predicted: q.predicted };
  }

  private threshold(s: ShardletState): number {
    const usual = s.quietSteps >= WARMUP_STEPS ? s.baseline * this.cfg.surgeFactor : 0;
    return Math.max(this.cfg.minSurgeEvents, usual);
  }

  private state(shardletId: string, atMs: number): ShardletState {
    let s = this.shardlets.get(shardletId);
    if (!s) {
      s = { step: Math.floor(atMs / this.cfg.stepMs), count: 0, baseline: 0, quietSteps: 0, surge: null, onsets: [], alertAtMs: null, lastMs: atMs };
      this.shardlets.set(shardletId, s);
    }
    return s;
  }

  /** Closes the steps before the one `atMs` falls in. */
  private roll(s: ShardletState, atMs: number): void {
    const step = Math.floor(atMs / this.cfg.stepMs);
    if (step <= s.step) return;
    // The step just finished, then any empty steps between it and now.
    const closing = [s.count, ...new Array<number>(Math.min(step - s.step - 1, 64)).fill(0)];
    for (const count of closing) {
      if (s.surge) {
        if (count < this.threshold(s) / 2) {
          s.surge.endedAtMs = (s.step + 1) * this.cfg.stepMs;
          this.ended.push(s.surge);
          if (this.ended.length > 1_000) this.ended.shift();
          s.surge = null;
        }
      } else if (count < this.threshold(s)) {
        s.baseline = s.quietSteps === 0 ? count : 0.9 * s.baseline + 0.1 * count;
        s.quietSteps++;
      }
      s.step++;
    }
    s.step = step;
    s.count = 0;
  }
}
