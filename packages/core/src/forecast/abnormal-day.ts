import { median } from "../median.ts";
import { SEASONS_PER_WEEK } from "./weekly-naive.ts";

/** How the last day of a history strayed from its weekday's usual total. */
export interface AbnormalDay {
  /** log(last day's total / its weekday's usual total). */
  logRatio: number;
  /** Median |log ratio| of the days before it: how far a normal day strays. */
  typical: number;
}

export interface AbnormalDayOptions {
  spread?: number;
  minLogRatio?: number;
}

const WEEKS_COMPARED = 4;
/** Days whose ratios say how far a normal day strays: at most two weeks, at least four days. */
const DAYS_JUDGED = 14;
const MIN_DAYS_JUDGED = 4;

/**
 * Whether the last whole season (a day) of a history was abnormal: a holiday, an outage, a burst.
 * Each day's total is compared with the median of the same weekday over the weeks before it (up to
 * four; one will do), as a log ratio. The last day is abnormal when its ratio is far outside what the days
 * before it show: beyond `spread` times their median absolute ratio, and at least `minLogRatio`
 * (0.3: about 26% off). Null when it is not, or when the history is too short to tell
 * (under a week and five days: the last day and four before it, each with a week before it).
 */
export function lastDayAbnormal(history: readonly number[], period: number, opts: AbnormalDayOptions = {}): AbnormalDay | null {
  const spread = opts.spread ?? 4;
  const minLogRatio = opts.minLogRatio ?? 0.3;
  if (!(period >= 1)) return null;
  const days = Math.floor(history.length / period);
  // The newest whole days, aligned to the end of the history.
  const offset = history.length - days * period;
  const totals: number[] = [];
  for (let d = 0; d < days; d++) {
    let sum = 0;
    for (let i = 0; i < period; i++) sum += history[offset + d * period + i]!;
    totals.push(sum);
  }
  const ratio = (d: number): number | null => {
    const same: number[] = [];
    for (let w = 1; w <= WEEKS_COMPARED && d - w * SEASONS_PER_WEEK >= 0; w++) same.push(totals[d - w * SEASONS_PER_WEEK]!);
    if (same.length < 1) return null;
    const usual = median(same);
    const v = totals[d]!;
    return usual > 0 && v > 0 ? Math.log(v / usual) : null;
  };
  const last = days - 1;
  const lastRatio = ratio(last);
  if (lastRatio === null) return null;
  const before: number[] = [];
  for (let d = last - 1; d >= 0 && before.length < DAYS_JUDGED; d--) {
    const r = ratio(d);
    if (r !== null) before.push(Math.abs(r));
  }
  if (before.length < MIN_DAYS_JUDGED) return null;
  const typical = median(before);
  return Math.abs(lastRatio) > Math.max(minLogRatio, spread * typical) ? { logRatio: lastRatio, typical } : null;
}
