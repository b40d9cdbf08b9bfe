import { CONFIRM_EARLY_STEPS, ConfirmedAnnouncements, PREFETCH_LEAD_STEPS, predictedRead, PREDICTION_OUTCOMES_HALF_LIFE_STEPS, PredictionOutcomes, type Prediction } from "@shardcast/core";
import { CORRELATION_STEP_MS } from "@shardcast/runtime";

/** A shardlet to prefetch: `key` is `stream \t shardlet`, as the prefetch queue holds it. */
export interface AnnouncedPrefetch extends Prediction {
  key: string;
  shardletId: string;
  dueAt: number;
  target: string | null;
}

/**
 * The edge's record of which announced reads came through it (core's `PredictionOutcomes` and
 * `ConfirmedAnnouncements`, keyed per stream). The published map's `p` is learnt from every
 * edge's readers over the engine's whole lag window; a prefetch here pays off only if the read
 * comes through this edge while the entry waits for it, so each (type, shardlet) is acted on while
 * its precision here, starting at the map's `p`, stays at or above the threshold. Where a type's
 * announced shardlets are read together, the rest of an announcement is fetched once its first
 * read came, not at the announcement. The benchmark's simulation does the same.
 */
export class AnnouncedReads {
  readonly #outcomes = new PredictionOutcomes({ halfLifeMs: PREDICTION_OUTCOMES_HALF_LIFE_STEPS * CORRELATION_STEP_MS });
  readonly #confirmed = new ConfirmedAnnouncements({ halfLifeMs: PREDICTION_OUTCOMES_HALF_LIFE_STEPS * CORRELATION_STEP_MS });

  /**
   * An event of `type` announced reads of these shardlets (the map's row for the type, each with
   * `p` and `lagSteps` of `stepMs` from `now`). Returns the prefetches to queue now, and the
   * predictions for all the pairs acted on (a cached shardlet keeps them, whether it is fetched now
   * or waits for the first read); a pair whose reads have come too rarely here is in neither.
   */
  announce(
    streamId: string,
    type: string,
    row: Readonly<Record<string, { p: number; lagSteps: number; target?: string | null | undefined }>>,
    threshold: number,
    stepMs: number,
    now: number,
  ): { now: AnnouncedPrefetch[]; predicted: AnnouncedPrefetch[] } {
    const typeKey = `${streamId}\t${type}`;
    const members = Object.entries(row).filter(([, x]) => x.p >= threshold);
    const group: Array<{ shardletId: string; p: number; target: string | null }> = [];
    const out = { now: [] as AnnouncedPrefetch[], predicted: [] as AnnouncedPrefetch[] };
    let until = -Infinity;
    let from = Infinity;
    for (const [shardletId, x] of members) {
      const key = `${streamId}\t${shardletId}`;
      const p = this.#outcomes.precision(typeKey, key, x.p, now);
      const dueAt = now + x.lagSteps * stepMs;
      const prediction = predictedRead(p, dueAt, stepMs);
      // Recorded even when not acted on, so a pair whose reads start coming again wins its prefetches
      // back; judged on the reads a prefetch started at its time would be there for.
      this.#outcomes.announce(typeKey, key, prediction.until, dueAt - PREFETCH_LEAD_STEPS * stepMs);
      group.push({ shardletId: key, p, target: x.target ?? null });
      until = Math.max(until, prediction.until);
      from = Math.min(from, dueAt - CONFIRM_EARLY_STEPS * stepMs);
      if (p < threshold) continue;
      const pr: AnnouncedPrefetch = { ...prediction, key, shardletId, dueAt, target: x.target ?? null };
      out.predicted.push(pr);
      if (!this.#confirmed.waits(typeKey, p, members.length, threshold, now)) out.now.push(pr);
    }
    this.#confirmed.announce(typeKey, group, { from, until }, now);
    return out;
  }

  /**
   * A read of the shardlet by `reader` (the reading client) went through this edge. Returns the
   * shardlets of the announcements it confirms, due now, whose confirmed precision reaches the
   * stream's `threshold`.
   */
  read(streamId: string, shardletId: string, reader: string | null, now: number, threshold: number): AnnouncedPrefetch[] {
    const key = `${streamId}\t${shardletId}`;
    this.#outcomes.read(key, now);
    const out: AnnouncedPrefetch[] = [];
    for (const c of this.#confirmed.read(key, reader, now)) {
      if (c.p < threshold) continue;
      out.push({ key: c.shardletId, shardletId: c.shardletId.slice(streamId.length + 1), p: c.p, until: c.until, dueAt: now, target: c.target });
    }
    return out;
  }

  /** Announcements past their time count as reads that did not come. */
  expire(now: number): void {
    this.#outcomes.expire(now);
    this.#confirmed.expire(now);
  }

  get pending(): number {
    return this.#outcomes.pending;
  }

  /** Announcements waiting for their first read before the rest is fetched. */
  get waiting(): number {
    return this.#confirmed.waiting;
  }
}
