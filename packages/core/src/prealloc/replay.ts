import { ContentModel, type ContentModelConfig, type ContentModelState, type SurgePredictor } from "./model.ts";
import type { StreamEvent } from "./stream.ts";

/**
 * Feeds recorded events to a predictor as an edge would: each event observed at its time, labels
 * and alerts matured once a second. Stops before the first event past `untilMs`; the caller
 * decides how far to advance afterwards.
 */
export function replayEvents(events: readonly StreamEvent[], model: SurgePredictor, shardletOf: (key: string) => string, opts: { untilMs?: number } = {}): void {
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
export function trainContentModel(events: readonly StreamEvent[], shardletOf: (key: string) => string, cfg: Partial<ContentModelConfig> = {}): ContentModelState {
  const model = new ContentModel(cfg);
  replayEvents(events, model, shardletOf);
  model.advance(Number.MAX_SAFE_INTEGER);
  return model.snapshot();
}
