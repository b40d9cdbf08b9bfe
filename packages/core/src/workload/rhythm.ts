/**
 * A "compressed daily rhythm": the load curve of a consumer service (quiet nights, busy
 * afternoons, quieter weekends) with a whole day squeezed into a few minutes, so that seasonal
 * forecasting and predictive splitting have something to learn within a demo or a test run.
 */
export interface RhythmOptions {
  /** Mean rate in events per second over a compressed week. Default 200. */
  baseRate: number;
  /** Wall-clock length of one compressed day in ms. Default 600,000 (a day every 10 minutes). */
  dayMs: number;
  /**
   * Diurnal swing as a fraction of the rate, in [0, 1). Default 0.6: the night trough runs at 0.4x
   * and the afternoon peak at 1.6x (before the weekly factor).
   */
  dailyAmplitude: number;
  /** Time of the diurnal peak as a fraction of the day, in [0, 1). Default 0.6 (about 14:24). */
  peakAt: number;
  /**
   * Weekly swing as a fraction, in [0, 1). Default 0.2: mid-week peaks at 1.2x, the weekend
   * trough at 0.8x. The weekly peak falls on day 2 (Wednesday) at `peakAt`, so the extremes of
   * both cycles coincide and `rhythmBounds` is attained.
   */
  weeklyAmplitude: number;
  /** Epoch ms taken as midnight at the start of day 0 (a Monday) of the compressed calendar. Default 0. */
  originMs: number;
}

export const DEFAULT_RHYTHM: RhythmOptions = {
  baseRate: 200,
  dayMs: 600_000,
  dailyAmplitude: 0.6,
  peakAt: 0.6,
  weeklyAmplitude: 0.2,
  originMs: 0,
};

const WEEKLY_PEAK_DAY = 2;

/** Fills defaults and checks ranges; throws `RangeError` naming the bad option. */
export function resolveRhythm(opts: Partial<RhythmOptions> = {}): RhythmOptions {
  const r: RhythmOptions = { ...DEFAULT_RHYTHM, ...opts };
  if (!(r.baseRate >= 0) || !Number.isFinite(r.baseRate)) throw new RangeError(`rhythm.baseRate must be >= 0, got ${r.baseRate}`);
  if (!(r.dayMs > 0) || !Number.isFinite(r.dayMs)) throw new RangeError(`rhythm.dayMs must be > 0, got ${r.dayMs}`);
  if (!(r.dailyAmplitude >= 0 && r.dailyAmplitude < 1)) {
    throw new RangeError(`rhythm.dailyAmplitude must be in [0, 1), got ${r.dailyAmplitude}`);
  }
  if (!(r.weeklyAmplitude >= 0 && r.weeklyAmplitude < 1)) {
    throw new RangeError(`rhythm.weeklyAmplitude must be in [0, 1), got ${r.weeklyAmplitude}`);
  }
  if (!(r.peakAt >= 0 && r.peakAt < 1)) throw new RangeError(`rhythm.peakAt must be in [0, 1), got ${r.peakAt}`);
  if (!Number.isFinite(r.originMs)) throw new RangeError(`rhythm.originMs must be finite, got ${r.originMs}`);
  return r;
}

/** Position of `tMs` in the compressed calendar. */
export function rhythmClock(tMs: number, opts: RhythmOptions): { day: number; dayOfWeek: number; timeOfDay: number } {
  const days = (tMs - opts.originMs) / opts.dayMs;
  const day = Math.floor(days);
  return { day, dayOfWeek: ((day % 7) + 7) % 7, timeOfDay: days - day };
}

/**
 * Expected event rate (events/s) at `tMs` without bursts:
 * `baseRate * (1 + dailyAmplitude * cos(2π (day fraction - peakAt))) * (1 + weeklyAmplitude * cos(2π (days - peakDay) / 7))`.
 * Averaged over a compressed week it equals `baseRate`.
 */
export function rhythmRate(tMs: number, opts: RhythmOptions): number {
  const days = (tMs - opts.originMs) / opts.dayMs;
  const daily = 1 + opts.dailyAmplitude * Math.cos(2 * Math.PI * (days - opts.peakAt));
  const weekly = 1 + opts.weeklyAmplitude * Math.cos((2 * Math.PI * (days - WEEKLY_PEAK_DAY - opts.peakAt)) / 7);
  return opts.baseRate * daily * weekly;
}

/** Smallest and largest values `rhythmRate` takes (both are attained once a week). */
export function rhythmBounds(opts: RhythmOptions): { min: number; max: number } {
  return {
    min: opts.baseRate * (1 - opts.dailyAmplitude) * (1 - opts.weeklyAmplitude),
    max: opts.baseRate * (1 + opts.dailyAmplitude) * (1 + opts.weeklyAmplitude),
  };
}
