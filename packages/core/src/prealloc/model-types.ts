import type { PredictionQuality, SurgeConfig } from "./surge.ts";

/** What the model reads of an event: its content and where it was written. */
export interface ContentEvent {
  type: string | null;
  key: string;
  atMs: number;
  shardletId: string;
}

/** A shardlet the model expects to surge within the horizon. */
export interface SurgePrediction {
  shardletId: string;
  /** Probability that a surge begins within the horizon after `atMs`. */
  probability: number;
  /** Events the surge is expected to bring (while it lasts). */
  expectedEvents: number;
  /** Highest writes per step expected during the surge. */
  expectedPeakPerStep: number;
  /** When the strongest evidence was seen. */
  atMs: number;
  horizonEndsMs: number;
  /** The event type that drives the prediction (null: untyped events, or the type-blind baseline). */
  cause: string | null;
  /** Key hashes of the announcing events (where in the shardlet's range the load will land). */
  keyHashes: number[];
  /** The shardlet's writes in its current step and its usual writes per step. */
  currentPerStep: number;
  usualPerStep: number;
}

/** What every surge predictor offers (the content model and the type-blind baseline). */
export interface SurgePredictor {
  readonly kind: string;
  observe(e: ContentEvent): void;
  /** Matures labels and alerts up to `nowMs`; call it at least once a step. */
  advance(nowMs: number): void;
  /** Shardlets whose probability is at least `minProbability` (default: the model's alert level), strongest first. */
  predictions(nowMs: number, minProbability?: number): SurgePrediction[];
  quality(): PredictionQuality;
}

export interface ContentModelConfig extends SurgeConfig {
  /** Probability from which a shardlet counts as alerted (precision and recall are measured at it). */
  alertProbability: number;
  /** Probability the model gives before it has learnt anything (a conservative prior: below any alert level). */
  prior: number;
  /** AdaGrad step size. */
  learningRate: number;
  /** log2 of the hashed weight table's size. */
  featureBits: number;
  /** Training examples waiting for their label, at most (memory bound). */
  maxPending: number;
  /** Examples kept per shardlet, event type and step: frequent types cannot crowd out rare ones. */
  examplesPerTypeStep: number;
  /** Distinct event types and tenants tracked, at most; the rest share one bucket. */
  maxTypes: number;
  /** Keys remembered to tell a new key from a known one. */
  maxKeys: number;
}

export const DEFAULT_CONTENT_MODEL: ContentModelConfig = {
  stepMs: 5_000,
  horizonMs: 120_000,
  surgeFactor: 5,
  minSurgeEvents: 50,
  minLeadMs: 5_000,
  alertProbability: 0.5,
  prior: 0.01,
  learningRate: 0.5,
  featureBits: 14,
  maxPending: 50_000,
  examplesPerTypeStep: 4,
  maxTypes: 512,
  maxKeys: 100_000,
};

/** Serialised state: what the worker stores as a model version and edges load at start. */
export interface ContentModelState {
  format: 1;
  kind: "content";
  /** Increases with every example learnt (a snapshot's version). */
  examples: number;
  featureBits: number;
  /** Non-zero weights: [index, weight, AdaGrad sum of squared gradients]. */
  weights: Array<[number, number, number]>;
  /** Mean surge size (events, peak per step) after each announcing type. */
  sizes: Record<string, { events: number; peakPerStep: number; n: number }>;
  /** Per type: matured examples and how many a surge followed (absent in states saved before it existed). */
  typeRates?: Record<string, { n: number; pos: number }>;
  quality: PredictionQuality;
}
