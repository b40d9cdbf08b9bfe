import type { SimPinOptions, SimPinStats } from "./cache-sim-pins.ts";
import type { CorrelationOptions } from "./correlation-engine.ts";
import type { SourceScore, SourceScoresOptions } from "./source-scores.ts";

/** One step of a read trace the cache policies replay (see cache-sim.ts): a write teaches the predictive policy, a read is served or fetched. */
export type CacheTraceEvent =
  | { t: number; kind: "write"; type: string; shardletId: string; attrs?: Readonly<Record<string, string>> | undefined }
  | { t: number; kind: "read"; shardletId: string; bytes: number; target?: string | undefined };

export interface CacheSimResult {
  hits: number;
  misses: number;
  hitRatio: number;
  bytesRead: number;
  bytesFromCache: number;
  /** Bytes fetched ahead of a read. */
  prefetchedBytes: number;
  /** Prefetched bytes evicted (or still cached at the end) without having been read. */
  prefetchedWastedBytes: number;
  /** Of those, bytes evicted while their prediction still held (the rest: the read never came in time). */
  prefetchedEvictedEarlyBytes: number;
  /** Prefetches the cache refused: they would have evicted entries worth more per byte. */
  skippedPrefetches: number;
  /** The cache-pin arm's pins, when it ran. */
  pins?: SimPinStats;
  /** Each prediction source's share of prefetched bytes read, at the end (payload fields configured). */
  sources?: SourceScore[];
}

export interface PredictiveCacheOptions {
  /** Prefetch a shardlet when an event predicts its read with at least this probability. */
  threshold: number;
  /** One engine step, ms (a telemetry bucket). */
  stepMs: number;
  engine?: Partial<CorrelationOptions>;
  /** Prefetch transfer per step, bytes. */
  bandwidthBytesPerStep: number;
  /** A prefetch starts this many steps before the predicted read (default: the edge's, `PREFETCH_LEAD_STEPS`). */
  leadSteps?: number;
  /** Passed to the engine's `predict` (its defaults otherwise), as the product's settings do. */
  minLift?: number;
  topPerType?: number;
  /** `ValueCacheOptions.cutMargin` (the edge's default otherwise). */
  cutMargin?: number;
  /** `ValueCacheOptions.historyEntries`. */
  historyEntries?: number;
  /** Judge each (type, shardlet) by whether its announced reads came (`PredictionOutcomes`, as the edges do); null: the engine's `p` alone. */
  outcomes?: { priorWeight?: number; halfLifeSteps: number } | null;
  /**
   * Wait for the first read of an announcement before prefetching the rest of it where that wastes
   * less (`ConfirmedAnnouncements`, as the edges do); false: every pair is prefetched at the announcement.
   */
  confirm?: boolean;
  /** Run the placement job's cache-pin arm on this cache (see cache-sim-pins.ts). */
  pins?: SimPinOptions;
  /** Payload fields correlated besides the type (the read cache settings' `correlateFields`); none by default. */
  fields?: readonly string[];
  /** Values kept per field (`TOP_VALUES_PER_FIELD` otherwise). */
  topValues?: number;
  /** How a field's prefetches are judged (`SourceScores`' defaults otherwise); null: never cut. */
  sourceScores?: Omit<SourceScoresOptions, "halfLifeMs"> | null;
  /** Told about every prefetch and how it ended (diagnostics: where the wasted bytes come from). */
  tracer?: PrefetchTracer;
}

/** Follows each prefetch from the event that announced it to its first read, or to its end unread. */
export interface PrefetchTracer {
  /** `announcedBy`: the earliest announcement of the request the prefetch served. */
  prefetched(shardletId: string, bytes: number, now: number, announcedBy: { type: string; t: number }): void;
  /** Read once (`read` true), or evicted or left in the cache at the end without a read. */
  settled(shardletId: string, read: boolean): void;
}
