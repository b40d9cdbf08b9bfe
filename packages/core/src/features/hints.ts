import { HASH_SPACE } from "../types.ts";

/** A producer's hint: `eventsPerSec` expected for key hashes in [lo, hi) between the two times. */
export interface LoadHintWindow {
  lo: number;
  hi: number;
  eventsPerSec: number;
  startsAt: number;
  endsAt: number;
}

/**
 * Hinted events/s per step for the hash range [lo, hi) (a shardlet's). A hint's rate is spread
 * evenly over its own hash range (keys hash uniformly), so the range gets the share of the hint's
 * range it overlaps; and over time, a step gets the rate weighted by the part of the step the hint's
 * window covers. Overlapping hints add up.
 */
export function hintRatePerStep(
  hints: Iterable<LoadHintWindow>,
  range: { lo: number; hi: number },
  opts: { startMs: number; stepMs: number; steps: number },
): number[] {
  const out = new Array<number>(opts.steps).fill(0);
  const end = opts.startMs + opts.steps * opts.stepMs;
  for (const h of hints) {
    const width = Math.min(h.hi, HASH_SPACE) - Math.max(h.lo, 0);
    const overlap = Math.min(h.hi, range.hi) - Math.max(h.lo, range.lo);
    if (width <= 0 || overlap <= 0 || h.eventsPerSec <= 0 || h.endsAt <= opts.startMs || h.startsAt >= end) continue;
    const rate = (h.eventsPerSec * overlap) / width;
    const first = Math.max(0, Math.floor((h.startsAt - opts.startMs) / opts.stepMs));
    const last = Math.min(opts.steps - 1, Math.floor((h.endsAt - 1 - opts.startMs) / opts.stepMs));
    for (let i = first; i <= last; i++) {
      const s = opts.startMs + i * opts.stepMs;
      const covered = Math.min(h.endsAt, s + opts.stepMs) - Math.max(h.startsAt, s);
      if (covered > 0) out[i]! += (rate * covered) / opts.stepMs;
    }
  }
  return out;
}
