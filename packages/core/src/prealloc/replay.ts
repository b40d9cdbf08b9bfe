import { ContentModel, type ContentModelConfig, type ContentModelState, type SurgePredictor } from "./model.ts";
import { DEFAULT_CONTENT_MODEL } from "./model-types.ts";
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
  /** The content model on the held-out tail, after learning from the head (pooled over the step phases). */
  heldOut: PredictionQuality;
  /** The type-blind rate model on the same tail: what the content has to beat (pooled the same way). */
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
 * Several evaluations of one history as one: precision and recall from the summed counts, the
 * counts as their mean per evaluation (so they still read as "this history's"), the lead from the first.
 */
function pooled(qs: readonly PredictionQuality[]): PredictionQuality {
  const sum = (k: "alerts" | "hits" | "onsets" | "predicted") => qs.reduce((acc, q) => acc + q[k], 0);
  const [alerts, hits, onsets, predicted] = [sum("alerts"), sum("hits"), sum("onsets"), sum("predicted")];
  const n = Math.max(1, qs.length);
  return {
    alerts: Math.round(alerts / n),
    hits: Math.round(hits / n),
    onsets: Math.round(onsets / n),
    predicted: Math.round(predicted / n),
    precision: alerts > 0 ? hits / alerts : null,
    recall: onsets > 0 ? predicted / onsets : null,
    medianLeadSec: qs[0]?.medianLeadSec ?? null,
  };
}

/** One train-on-the-head, score-on-the-tail pass of the content model and the rate model. */
function evaluateOnce(events: readonly HistoryEvent[], cut: number, shardletOf: (key: string) => string, cfg: Partial<ContentModelConfig> | undefined) {
  const cutMs = events[cut]?.atMs ?? Number.MAX_SAFE_INTEGER;
  const model = new ContentModel(cfg);
  replayEvents(events.slice(0, cut), model, shardletOf);
  model.advance(cutMs);
  const q0 = model.quality();
  replayEvents(events.slice(cut), model, shardletOf);
  model.advance(Number.MAX_SAFE_INTEGER);
  const heldOut = qualitySince(q0, model.quality());
  const rate = new RateModel(cfg);
  replayEvents(events, rate, shardletOf, { untilMs: cutMs - 1 });
  rate.advance(cutMs);
  const r0 = rate.quality();
  replayEvents(events.slice(cut), rate, shardletOf);
  rate.advance(Number.MAX_SAFE_INTEGER);
  return { model, heldOut, baseline: qualitySince(r0, rate.quality()) };
}

/**
 * Trains the default model on the head of `events` (sorted by time) and scores it on the tail
 * (`heldOutShare` of the events) against the type-blind rate model; the state returned has then
 * learnt from the tail too (the labels of the last horizon included), as an edge would have.
 *
 * Both models count writes in steps aligned to the epoch, so where the history's steps start is
 * an accident of its timestamps; on a short history with a handful of surges that accident alone
 * can decide which model wins. The comparison is therefore repeated with the history shifted by
 * `phases` evenly spaced fractions of a step (default 5) and the counts pooled; the state is the
 * one learnt at the history's own times.
 */
export function evaluateContentModel(
  events: readonly HistoryEvent[],
  shardletOf: (key: string) => string,
  opts: { heldOutShare?: number; cfg?: Partial<ContentModelConfig>; phases?: number } = {},
): ContentModelEvaluation {
  const share = Math.min(0.9, Math.max(0.1, opts.heldOutShare ?? 0.25));
  const cut = Math.floor(events.length * (1 - share));
  const stepMs = opts.cfg?.stepMs ?? DEFAULT_CONTENT_MODEL.stepMs;
  const phases = Math.max(1, Math.floor(opts.phases ?? 5));
  const runs = Array.from({ length: phases }, (_, p) => {
    const shift = Math.round((p * stepMs) / phases);
    const shifted = shift === 0 ? events : events.map((e) => ({ ...e, atMs: e.atMs + shift }));
    return evaluateOnce(shifted, cut, shardletOf, opts.cfg);
  });
  const heldOut = pooled(runs.map((r) => r.heldOut));
  const baseline = pooled(runs.map((r) => r.baseline));
  return {
    state: runs[0]!.model.snapshot(),
    heldOut,
    baseline,
    trainEvents: cut,
    heldOutEvents: events.length - cut,
    better: heldOut.precision !== null && f1(heldOut) >= f1(baseline),
  };
}
