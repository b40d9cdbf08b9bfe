import { ContentModel, type ContentModelConfig, type ContentModelState, type SurgePredictor } from "./model.ts";
import { RateModel } from "./rate-model.ts";
import type { PredictionQuality } from "./surge.ts";

/** An event of history as the model reads it (a generated stream's events and stored events both fit). */
export interface HistoryEvent {
  atMs: number;
  key: string;
  type: string | null;
}

/**
 * Feeds recorded events to a predictor as an edge would: each event observed at its time, labels
 * and alerts matured once a second. Stops before the first event past `untilMs`; the caller
 * decides how far to advance afterwards.
 */
export function replayEvents(events: readonly HistoryEvent[], model: SurgePredictor, shardletOf: (key: string) => string, opts: { untilMs?: number } = {}): void {
  let next = 0;
  for (const e of events) {
    if (opts.untilMs !== undefined && e.atMs > opts.untilMs) break;
    if (e.atMs >= next) {
      model.advance(e.atMs);
      next = e.atMs + 1_000;
    }
    model.observe({ type: e.type, key: e.key, atMs: e.atMs, shardletId: shardletOf(e.key) });
  }
}

/** A default model for cold start: the content model after replaying history, every label matured. */
export function trainContentModel(events: readonly HistoryEvent[], shardletOf: (key: string) => string, cfg: Partial<ContentModelConfig> = {}): ContentModelState {
  const model = new ContentModel(cfg);
  replayEvents(events, model, shardletOf);
  model.advance(Number.MAX_SAFE_INTEGER);
  return model.snapshot();
}

/** A default model trained on history, with its quality on the part of history it had not seen. */
export interface ContentModelEvaluation {
  state: ContentModelState;
  /** The content model on the held-out tail, after learning from the head. */
  heldOut: PredictionQuality;
  /** The type-blind rate model on the same tail: what the content has to beat. */
  baseline: PredictionQuality;
  trainEvents: number;
  heldOutEvents: number;
  /** Whether the content model beats the baseline on the tail (F1 at the alert level) and learnt at all. */
  better: boolean;
}

/** Harmonic mean of precision and recall; 0 when either is unknown. */
export function f1(q: PredictionQuality): number {
  const p = q.precision ?? 0;
  const r = q.recall ?? 0;
  return p + r > 0 ? (2 * p * r) / (p + r) : 0;
}

function qualitySince(q0: PredictionQuality, q: PredictionQuality): PredictionQuality {
  const alerts = q.alerts - q0.alerts;
  const hits = q.hits - q0.hits;
  const onsets = q.onsets - q0.onsets;
  const predicted = q.predicted - q0.predicted;
  return { alerts, hits, onsets, predicted, precision: alerts > 0 ? hits / alerts : null, recall: onsets > 0 ? predicted / onsets : null, medianLeadSec: q.medianLeadSec };
}

/**
 * Trains the default model on the head of `events` (sorted by time) and scores it on the tail
 * (`heldOutShare` of the events) against the type-blind rate model; the state returned has then
 * learnt from the tail too (the labels of the last horizon included), as an edge would have.
 */
export function evaluateContentModel(
  events: readonly HistoryEvent[],
  shardletOf: (key: string) => string,
  opts: { heldOutShare?: number; cfg?: Partial<ContentModelConfig> } = {},
): ContentModelEvaluation {
  const share = Math.min(0.9, Math.max(0.1, opts.heldOutShare ?? 0.25));
  const cut = Math.floor(events.length * (1 - share));
  const cutMs = events[cut]?.atMs ?? Number.MAX_SAFE_INTEGER;
  const model = new ContentModel(opts.cfg);
  replayEvents(events.slice(0, cut), model, shardletOf);
  model.advance(cutMs);
  const q0 = model.quality();
  replayEvents(events.slice(cut), model, shardletOf);
  model.advance(Number.MAX_SAFE_INTEGER);
  const heldOut = qualitySince(q0, model.quality());
  const rate = new RateModel(opts.cfg);
  replayEvents(events, rate, shardletOf, { untilMs: cutMs - 1 });
  rate.advance(cutMs);
  const r0 = rate.quality();
  replayEvents(events.slice(cut), rate, shardletOf);
  rate.advance(Number.MAX_SAFE_INTEGER);
  const baseline = qualitySince(r0, rate.quality());
  return {
    state: model.snapshot(),
    heldOut,
    baseline,
    trainEvents: cut,
    heldOutEvents: events.length - cut,
    better: heldOut.alerts > 0 && f1(heldOut) >= f1(baseline),
  };
}
