import { rankQuantile } from "../median.ts";

/**
 * The coming peak from where the load stands now. Plain headroom holds capacity in proportion to
 * the current load, a forecast band in proportion to the forecast; bursty load (a news event, a
 * tenant's unannounced job) climbs several-fold from a trough within an hour, faster than a host
 * can be added, so what a plan needs to know is how high the load gets within the lead given the
 * state it is in. This learns that from the series' own past: for every past step, the largest
 * load over the following `leadSteps` steps divided by the load at that step, and it reads the
 * quantile of those ratios among the past steps whose load stood where today's does relative to
 * its recent level (from a trough the ratio is large, at a peak it is near 1). A conditional
 * forecast of the peak's distribution, not a fixed margin: regular load learns ratios near 1.
 */

export interface SurgeOptions {
  /** Steps ahead whose largest load counts (the lead a new host needs before it carries load). */
  leadSteps: number;
  /** Quantile of the ratios read (the capacity settings' `forecastQuantile`). */
  quantile: number;
  /** Steps the recent level is the mean of (default 24: a day of hours). */
  levelSteps?: number;
  /** Share of the past steps, nearest in load relative to level, the quantile is read over (default 0.2). */
  neighbourShare?: number;
  /** Fewest past steps to read a quantile from; with fewer the factor is 1 (default 48). */
  minSamples?: number;
  /** The factor never exceeds this (default 4). */
  cap?: number;
}

export interface Surge {
  /** Largest load within the lead over the load now, at the quantile (at least 1). */
  factor: number;
  /** The load now relative to its recent level (the condition the past steps were matched on). */
  relative: number;
  /** Past steps the quantile was read from (0: too little history, factor 1). */
  samples: number;
}

const NONE = (relative: number): Surge => ({ factor: 1, relative, samples: 0 });

function meanOf(values: readonly number[], from: number, to: number): number {
  let s = 0;
  for (let i = from; i < to; i++) s += values[i]!;
  return to > from ? s / (to - from) : 0;
}

/**
 * The surge factor for the load `now` after `history` (complete steps, oldest first; `now` is the
 * current, possibly partial, step's load). Pure: the same history gives the same factor.
 */
export function surgeFactor(history: readonly number[], now: number, opts: SurgeOptions): Surge {
  const lead = Math.max(1, Math.floor(opts.leadSteps));
  const levelSteps = Math.max(1, Math.floor(opts.levelSteps ?? 24));
  const cap = opts.cap ?? 4;
  const minSamples = opts.minSamples ?? 48;
  const level = meanOf(history, Math.max(0, history.length - levelSteps), history.length);
  const relative = level > 0 && now > 0 ? now / level : 1;
  if (!(opts.quantile > 0) || !(now > 0) || history.length < levelSteps + lead + minSamples) return NONE(relative);

  const at = Math.log(relative);
  const samples: Array<{ distance: number; ratio: number }> = [];
  // A running sum keeps the level of each past step O(1).
  let sum = meanOf(history, 0, levelSteps) * levelSteps;
  for (let t = levelSteps; t + lead < history.length; t++) {
    const x = history[t]!;
    const past = sum / levelSteps;
    sum += x - history[t - levelSteps]!;
    if (!(x > 0) || !(past > 0)) continue;
    let peak = 0;
    for (let k = t + 1; k <= t + lead; k++) if (history[k]! > peak) peak = history[k]!;
    samples.push({ distance: Math.abs(Math.log(x / past) - at), ratio: peak / x });
  }
  if (samples.length < minSamples) return NONE(relative);
  const k = Math.min(samples.length, Math.max(minSamples, Math.ceil((opts.neighbourShare ?? 0.2) * samples.length)));
  samples.sort((a, b) => a.distance - b.distance);
  const ratios = samples.slice(0, k).map((s) => s.ratio);
  return { factor: Math.min(cap, Math.max(1, rankQuantile(ratios, opts.quantile))), relative, samples: k };
}
