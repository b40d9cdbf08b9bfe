import { DEFAULT_CONTENT_MODEL, type SurgePrediction } from "./model-types.ts";
import type { PredictionQuality } from "./surge.ts";

/**
 * Where edges publish their predictions and keep their model's state. Predictions: one hash per
 * stream with a field per edge, so edges never overwrite each other's view (the pre-allocator
 * merges the fields). Model: one hash per stream with the state and, beside it, its version and the
 * install it descends from, which the store's scripts compare without parsing the state.
 */
export function preallocRedisKeys(prefix: string): { predictions: (streamId: string) => string; model: (streamId: string) => string } {
  const root = `{${prefix}}:pa:`;
  return { predictions: (streamId) => `${root}preds:${streamId}`, model: (streamId) => `${root}mdl:${streamId}` };
}

/** What an edge publishes for a stream: its current predictions and its model's version and quality. */
export interface PublishedPredictions {
  streamId: string;
  atMs: number;
  edge: string;
  modelVersion: number;
  quality: PredictionQuality;
  predictions: SurgePrediction[];
  /** The step the per-step figures are counted in (absent: the default step). */
  stepMs?: number;
  /** How long after `atMs` the body stands for the edge's view; an edge that stopped publishing drops out after it. */
  ttlMs?: number;
}

/** Key hashes kept per merged prediction, as an edge keeps per prediction. */
const MAX_KEY_HASHES = 16;

/**
 * One view of a stream from every edge's predictions, with per-step figures counted in `stepMs`
 * (an edge that built its model before a step change publishes in its old step; it is rescaled).
 *
 * Edges sit behind a load balancer, so each sees a share of every shardlet's writes and learns
 * surge sizes from that share: rates and sizes of the same shardlet add up across edges (the
 * surge's writes are spread over them). Whether a surge comes is not a share: the probability is
 * the strongest edge's (announcing events land on one edge or another; independent votes they are
 * not, so they are not combined as such), and its cause and evidence time go with it. Announcing
 * keys seen by any edge say where in the range the load lands: their union is kept.
 */
export function mergePublishedPredictions(bodies: readonly PublishedPredictions[], stepMs: number): PublishedPredictions | null {
  const first = bodies[0];
  if (!first) return null;
  const byShardlet = new Map<string, SurgePrediction>();
  let newest = first;
  let freshest = first.atMs;
  for (const b of bodies) {
    if (b.modelVersion > newest.modelVersion) newest = b;
    freshest = Math.max(freshest, b.atMs);
    const scale = stepMs / (b.stepMs ?? DEFAULT_CONTENT_MODEL.stepMs);
    for (const p of b.predictions) {
      const mine: SurgePrediction = {
        ...p,
        keyHashes: [...p.keyHashes],
        expectedPeakPerStep: p.expectedPeakPerStep * scale,
        currentPerStep: p.currentPerStep * scale,
        usualPerStep: p.usualPerStep * scale,
      };
      const seen = byShardlet.get(p.shardletId);
      if (!seen) {
        byShardlet.set(p.shardletId, mine);
        continue;
      }
      const [strong, weak] = mine.probability > seen.probability ? [mine, seen] : [seen, mine];
      const keyHashes = [...strong.keyHashes];
      for (const h of weak.keyHashes) if (keyHashes.length < MAX_KEY_HASHES && !keyHashes.includes(h)) keyHashes.push(h);
      byShardlet.set(p.shardletId, {
        ...strong,
        keyHashes,
        expectedEvents: seen.expectedEvents + mine.expectedEvents,
        expectedPeakPerStep: seen.expectedPeakPerStep + mine.expectedPeakPerStep,
        currentPerStep: seen.currentPerStep + mine.currentPerStep,
        usualPerStep: seen.usualPerStep + mine.usualPerStep,
        horizonEndsMs: Math.max(seen.horizonEndsMs, mine.horizonEndsMs),
      });
    }
  }
  return {
    streamId: first.streamId,
    atMs: freshest,
    edge: bodies.map((b) => b.edge).join(","),
    // The most trained edge's model stands for the run's record (edges adopt installs, so they rarely differ by much).
    modelVersion: newest.modelVersion,
    quality: newest.quality,
    stepMs,
    predictions: [...byShardlet.values()].sort((a, b) => b.probability - a.probability),
  };
}
