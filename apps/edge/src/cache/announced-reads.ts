import { predictedRead, PREDICTION_OUTCOMES_HALF_LIFE_STEPS, PredictionOutcomes, type Prediction } from "@shardcast/core";
import { CORRELATION_STEP_MS } from "@shardcast/runtime";

/**
 * The edge's record of which announced reads came through it (core's `PredictionOutcomes`, keyed
 * per stream). The published map's `p` is learnt from every edge's readers over the engine's whole
 * lag window; a prefetch here pays off only if the read comes through this edge while the entry
 * waits for it, so each (type, shardlet) is acted on while its precision here, starting at the
 * map's `p`, stays at or above the threshold. The benchmark's simulation does the same.
 */
export class AnnouncedReads {
  readonly #outcomes = new PredictionOutcomes({ halfLifeMs: PREDICTION_OUTCOMES_HALF_LIFE_STEPS * CORRELATION_STEP_MS });

  /**
   * An event of `type` announced a read of the shardlet with probability `p`, `lagSteps` steps
   * of `stepMs` from `now`: the prediction to act on, or null when the pair's announced reads
   * have come too rarely here.
   */
  announce(streamId: string, type: string, shardletId: string, x: { p: number; lagSteps: number }, threshold: number, stepMs: number, now: number): (Prediction & { p: number; dueAt: number }) | null {
    const key = `${streamId}\t${shardletId}`;
    const p = this.#outcomes.precision(`${streamId}\t${type}`, key, x.p, now);
    const dueAt = now + x.lagSteps * stepMs;
    const prediction = predictedRead(p, dueAt, stepMs);
    // Recorded even when not acted on, so a pair whose reads start coming again wins its prefetches back.
    this.#outcomes.announce(`${streamId}\t${type}`, key, prediction.until);
    return p >= threshold ? { ...prediction, dueAt } : null;
  }

  /** A read of the shardlet went through this edge. */
  read(streamId: string, shardletId: string, now: number): void {
    this.#outcomes.read(`${streamId}\t${shardletId}`, now);
  }

  /** Announcements past their time count as reads that did not come. */
  expire(now: number): void {
    this.#outcomes.expire(now);
  }

  get pending(): number {
    return this.#outcomes.pending;
  }
}
