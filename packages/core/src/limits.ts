/**
 * Input limits for ingest. Defaults are conservative; operators raise them per deployment through
 * the edge's env (see apps/edge/src/env.ts). Every limit produces a precise per-event message.
 */
export interface IngestLimits {
  /** Most events in one batch. */
  maxBatchEvents: number;
  /** Most bytes of one stored event (payload JSON + key + type + id, UTF-8). */
  maxEventBytes: number;
  /** Longest key, in characters. */
  maxKeyLength: number;
  /** Longest event type and event id, in characters. */
  maxTypeLength: number;
  maxIdLength: number;
  /** Largest request body the edge reads before rejecting with 413. */
  maxBodyBytes: number;
}

export const DEFAULT_INGEST_LIMITS: IngestLimits = {
  maxBatchEvents: 1000,
  maxEventBytes: 64 * 1024,
  maxKeyLength: 256,
  maxTypeLength: 128,
  maxIdLength: 128,
  maxBodyBytes: 8 * 1024 * 1024,
};
