import {
  ContentModel,
  preallocModelConfig,
  type ContentModelConfig,
  type ContentModelState,
  type IncomingEvent,
  type PreallocSettings,
  type PublishedPredictions,
  type SurgePrediction,
} from "@shardcast/core";
import { loadStoredModel, publishEdgePredictions, saveEdgeModel, storedModelHead, type Logger } from "@shardcast/runtime";
import type { Redis } from "ioredis";

export interface PreallocRunnerOptions {
  redis: Redis;
  prefix: string;
  log: Logger;
  /** Names this edge in what it publishes: unique per process (`preallocEdgeId`), or edges overwrite each other. */
  edgeId: string;
  /** How often predictions are published (and labels matured). */
  publishMs: number;
  /** How often the model's state is saved (a restarted edge resumes from it). */
  saveMs: number;
  /** Events waiting to be scored, at most; past it batches are skipped and counted (the ack path never waits). */
  maxQueuedEvents: number;
  /** The stored pre-allocation settings: the model counts steps, horizon and surges as they say. */
  settings?: () => Promise<PreallocSettings>;
  /** How long read settings are used before the publish tick reads them again. */
  settingsMs?: number;
  clock?: () => number;
}

type ModelConfig = Partial<ContentModelConfig>;

interface Queued {
  streamId: string;
  events: readonly IncomingEvent[];
  shardletIds: Array<string | undefined>;
  atMs: number;
}

/** Events scored per turn of the event loop before the runner yields to requests. */
const SLICE = 2_000;

/**
 * The content model beside the write path. Acked batches are queued (a reference, no copy) and
 * scored on later turns of the event loop in slices, so an ack never waits for the model; the
 * queue is bounded and what does not fit is skipped and counted. Every `publishMs` the
 * predictions of each stream go to Redis for the pre-allocator (in this edge's own field), the
 * settings are re-read when due, and a model the training job installed since is adopted; every
 * `saveMs` the model's state.
 */
export class PreallocRunner {
  readonly #models = new Map<string, ContentModel>();
  readonly #queue: Queued[] = [];
  #queued = 0;
  #scheduled = false;
  #timers: NodeJS.Timeout[] = [];
  #loading = new Map<string, Promise<void>>();
  /** Per stream, the install (its time) the model descends from; 0 or absent: the untrained prior. */
  readonly #lineage = new Map<string, number>();
  #cfg: ModelConfig = {};
  #settingsAt = Number.NEGATIVE_INFINITY;
  readonly stats = { scored: 0, skipped: 0, published: 0, adopted: 0 };

  constructor(private readonly opts: PreallocRunnerOptions) {}

  get edgeId(): string {
    return this.opts.edgeId;
  }

  start(): void {
    this.stop();
    const publish = setInterval(() => void this.publish(), this.opts.publishMs);
    const save = setInterval(() => void this.save(), this.opts.saveMs);
    publish.unref();
    save.unref();
    this.#timers = [publish, save];
    void this.refreshSettings();
  }

  stop(): void {
    for (const t of this.#timers) clearInterval(t);
    this.#timers = [];
  }

  /** The write path's hook, once per answered batch: queue it for scoring. */
  acked(streamId: string, events: readonly IncomingEvent[], outcomes: ReadonlyArray<{ shardletId: string } | undefined>): void {
    if (this.#queued + events.length > this.opts.maxQueuedEvents) {
      this.stats.skipped += events.length;
      return;
    }
    this.#queue.push({ streamId, events, shardletIds: outcomes.map((o) => o?.shardletId), atMs: this.now() });
    this.#queued += events.length;
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  /** The current prediction for a shardlet (for the contention log), if any. */
  predictionFor(streamId: string, shardletId: string): SurgePrediction | undefined {
    const model = this.#models.get(streamId);
    if (!model) return undefined;
    return model.predictions(this.now(), model.cfg.alertProbability).find((p) => p.shardletId === shardletId);
  }

  model(streamId: string): ContentModel | undefined {
    return this.#models.get(streamId);
  }

  /** Scores everything queued now (tests and shutdown). */
  flushQueue(): void {
    while (this.#queue.length > 0) this.slice(Number.MAX_SAFE_INTEGER);
  }

  /** The publish tick, now: settings when due, every stream's predictions, then installs to adopt. */
  async publish(): Promise<void> {
    if (this.now() - this.#settingsAt >= (this.opts.settingsMs ?? 5_000)) await this.refreshSettings();
    this.flushQueue();
    const now = this.now();
    const ttlMs = Math.max(10_000, this.opts.publishMs * 5);
    try {
      const bodies: PublishedPredictions[] = [];
      for (const [streamId, model] of this.#models) {
        model.advance(now);
        bodies.push({
          streamId,
          atMs: now,
          edge: this.opts.edgeId,
          modelVersion: model.version,
          quality: model.quality(),
          predictions: model.predictions(now, 0.05).slice(0, 100),
          stepMs: model.cfg.stepMs,
          ttlMs,
        });
      }
      await publishEdgePredictions(this.opts.redis, this.opts.prefix, this.opts.edgeId, bodies);
      this.stats.published++;
    } catch (err) {
      this.opts.log.warn("could not publish surge predictions", { err });
    }
    await this.adoptInstalled();
  }

  /**
   * Reads the settings and, when the model's part of them changed, rebuilds every stream's model
   * with them from its own state (what it learnt stays; the step's counters start over).
   */
  async refreshSettings(): Promise<void> {
    if (!this.opts.settings) return;
    try {
      const cfg = preallocModelConfig(await this.opts.settings());
      this.#settingsAt = this.now();
      if (sameConfig(cfg, this.#cfg)) return;
      this.#cfg = cfg;
      for (const [streamId, model] of this.#models) this.#models.set(streamId, new ContentModel(cfg, model.snapshot()));
    } catch (err) {
      this.#settingsAt = this.now();
      this.opts.log.warn("could not read pre-allocation settings; the model keeps the last known ones", { err });
    }
  }

  /**
   * A model installed (by the training job) after the one this edge's model descends from replaces
   * it; the check reads two fields, the state only when there is something to adopt.
   */
  async adoptInstalled(): Promise<void> {
    for (const streamId of this.#models.keys()) {
      try {
        const head = await storedModelHead(this.opts.redis, this.opts.prefix, streamId);
        if (!head || head.installedAtMs <= (this.#lineage.get(streamId) ?? 0)) continue;
        const stored = await loadStoredModel(this.opts.redis, this.opts.prefix, streamId);
        if (stored && stored.installedAtMs > (this.#lineage.get(streamId) ?? 0)) this.adopt(streamId, stored.state, stored.installedAtMs);
      } catch (err) {
        this.opts.log.warn("could not check for an installed content model", { streamId, err });
      }
    }
  }

  async save(): Promise<void> {
    try {
      for (const [streamId, model] of this.#models) {
        await saveEdgeModel(this.opts.redis, this.opts.prefix, streamId, model.snapshot(), this.#lineage.get(streamId) ?? 0);
      }
    } catch (err) {
      this.opts.log.warn("could not save the content model", { err });
    }
  }

  private drain(): void {
    this.#scheduled = false;
    this.slice(SLICE);
    if (this.#queue.length > 0 && !this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  private slice(budget: number): void {
    let left = budget;
    while (left > 0 && this.#queue.length > 0) {
      const q = this.#queue.shift()!;
      this.#queued -= q.events.length;
      const model = this.modelOf(q.streamId);
      q.events.forEach((e, i) => {
        const shardletId = q.shardletIds[i];
        if (shardletId === undefined) return;
        // The edge's clock when the batch was acked: producers' event times may be skewed or replayed.
        model.observe({ type: e.type, key: e.key, atMs: q.atMs, shardletId });
      });
      this.stats.scored += q.events.length;
      left -= q.events.length;
    }
  }

  private modelOf(streamId: string): ContentModel {
    let m = this.#models.get(streamId);
    if (m) return m;
    m = new ContentModel(this.#cfg);
    this.#models.set(streamId, m);
    // A stored state (the edge with the most evidence, or an install) replaces the prior once read.
    if (!this.#loading.has(streamId)) {
      this.#loading.set(
        streamId,
        loadStoredModel(this.opts.redis, this.opts.prefix, streamId)
          .then((stored) => {
            if (stored) this.adopt(streamId, stored.state, stored.installedAtMs);
          })
          .catch((err: unknown) => this.opts.log.warn("could not load the content model; starting from the prior", { streamId, err })),
      );
    }
    return m;
  }

  private adopt(streamId: string, state: ContentModelState, installedAtMs: number): void {
    try {
      this.#models.set(streamId, new ContentModel(this.#cfg, state));
      this.#lineage.set(streamId, installedAtMs);
      this.stats.adopted++;
    } catch (err) {
      // A state of another format or table size: this edge keeps its own model.
      this.opts.log.warn("stored content model does not fit this edge's model; not adopted", { streamId, err });
    }
  }

  private now(): number {
    return (this.opts.clock ?? Date.now)();
  }
}

function sameConfig(a: ModelConfig, b: ModelConfig): boolean {
  return a.stepMs === b.stepMs && a.horizonMs === b.horizonMs && a.surgeFactor === b.surgeFactor && a.minSurgeEvents === b.minSurgeEvents;
}
