import { ContentModel, preallocRedisKeys, type ContentModelState, type IncomingEvent, type PublishedPredictions, type SurgePrediction } from "@shardcast/core";
import type { Logger } from "@shardcast/runtime";
import type { Redis } from "ioredis";

export interface PreallocRunnerOptions {
  redis: Redis;
  prefix: string;
  log: Logger;
  /** Names this edge in what it publishes. */
  edgeId: string;
  /** How often predictions are published (and labels matured). */
  publishMs: number;
  /** How often the model's state is saved (a restarted edge resumes from it). */
  saveMs: number;
  /** Events waiting to be scored, at most; past it batches are skipped and counted (the ack path never waits). */
  maxQueuedEvents: number;
  clock?: () => number;
}

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
 * predictions of each stream go to Redis for the pre-allocator; every `saveMs` the model's state.
 */
export class PreallocRunner {
  readonly #models = new Map<string, ContentModel>();
  readonly #queue: Queued[] = [];
  #queued = 0;
  #scheduled = false;
  #timers: NodeJS.Timeout[] = [];
  #loading = new Map<string, Promise<void>>();
  readonly stats = { scored: 0, skipped: 0, published: 0 };

  constructor(private readonly opts: PreallocRunnerOptions) {}

  start(): void {
    this.stop();
    const publish = setInterval(() => void this.publish(), this.opts.publishMs);
    const save = setInterval(() => void this.save(), this.opts.saveMs);
    publish.unref();
    save.unref();
    this.#timers = [publish, save];
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

  /** Publishes every stream's predictions now. */
  async publish(): Promise<void> {
    this.flushQueue();
    const now = this.now();
    const keys = preallocRedisKeys(this.opts.prefix);
    const ttlSec = Math.max(10, Math.ceil((this.opts.publishMs * 5) / 1000));
    try {
      const multi = this.opts.redis.multi();
      for (const [streamId, model] of this.#models) {
        model.advance(now);
        const body: PublishedPredictions = {
          streamId,
          atMs: now,
          edge: this.opts.edgeId,
          modelVersion: model.version,
          quality: model.quality(),
          predictions: model.predictions(now, 0.05).slice(0, 100),
        };
        multi.set(keys.predictions(streamId), JSON.stringify(body), "EX", ttlSec);
      }
      await multi.exec();
      this.stats.published++;
    } catch (err) {
      this.opts.log.warn("could not publish surge predictions", { err });
    }
  }

  async save(): Promise<void> {
    const keys = preallocRedisKeys(this.opts.prefix);
    try {
      for (const [streamId, model] of this.#models) await this.opts.redis.set(keys.model(streamId), JSON.stringify(model.snapshot()), "EX", 7 * 86_400);
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
    m = new ContentModel();
    this.#models.set(streamId, m);
    // A saved state (this or another edge's, or the worker's default model) replaces the prior once read.
    if (!this.#loading.has(streamId)) {
      this.#loading.set(
        streamId,
        this.opts.redis
          .get(preallocRedisKeys(this.opts.prefix).model(streamId))
          .then((raw) => {
            if (!raw) return;
            const state = JSON.parse(raw) as ContentModelState;
            this.#models.set(streamId, new ContentModel({}, state));
          })
          .catch((err: unknown) => this.opts.log.warn("could not load the content model; starting from the prior", { streamId, err })),
      );
    }
    return m;
  }

  private now(): number {
    return (this.opts.clock ?? Date.now)();
  }
}
