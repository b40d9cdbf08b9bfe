import type { ProducerEvent } from "@shardcast/client";
import { burstKeys, createRng, type WorkloadGenerator } from "@shardcast/core";

/**
 * Precursor events for the demo: before most flash crowds the producer announces them (three
 * `campaign_started` events on the crowd's keys, `leadMs` ahead), and now and then it announces
 * a campaign nothing follows (a false alarm), so the edge's content model has something to learn
 * and the pre-allocator something to prepare and to release.
 */
export class DemoPrecursors {
  readonly #announced = new Set<number>();
  readonly #rng = createRng("demo-precursors");
  #nextFalseAlarmMs: number;
  #falseAlarms = 0;

  constructor(
    private readonly gen: WorkloadGenerator,
    private readonly opts: { leadMs: number; announceShare: number; falseAlarmEveryMs: number; idPrefix: string },
  ) {
    this.#nextFalseAlarmMs = Date.now() + opts.falseAlarmEveryMs;
  }

  /** Precursor events due at `nowMs` (usually none). */
  due(nowMs: number): ProducerEvent[] {
    const out: ProducerEvent[] = [];
    const burst = this.gen.burstAt(nowMs + this.opts.leadMs);
    if (burst && !this.#announced.has(burst.index)) {
      this.#announced.add(burst.index);
      // Some crowds arrive unannounced: those stay the reactive path's.
      if (this.#rng.chance(this.opts.announceShare)) out.push(...this.announce(burstKeys(burst, 3), nowMs, `b${burst.index}`));
    }
    if (nowMs >= this.#nextFalseAlarmMs) {
      this.#nextFalseAlarmMs = nowMs + this.opts.falseAlarmEveryMs * this.#rng.range(0.5, 1.5);
      const key = `campaign-${this.#rng.int(1_000_000)}`;
      out.push(...this.announce([key, key, key], nowMs, `f${this.#falseAlarms++}`));
    }
    if (this.#announced.size > 1_000) this.#announced.clear();
    return out;
  }

  private announce(keys: string[], nowMs: number, tag: string): ProducerEvent[] {
    return keys.map((key, i) => ({
      key,
      id: `${this.opts.idPrefix}-pre-${tag}-${i}`,
      type: "campaign_started",
      ts: nowMs,
      payload: { campaign: tag, channel: i === 0 ? "mail" : "push" },
    }));
  }
}
