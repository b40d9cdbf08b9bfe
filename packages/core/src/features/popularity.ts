/**
 * Rolling popularity: a series' share of its stream's load over the last `window` steps (the step
 * itself included). 0 where the stream had no load in the window.
 */
export function rollingPopularity(series: readonly number[], streamTotal: readonly number[], window: number): number[] {
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`rolling popularity: window must be a positive integer, got ${window}`);
  const n = Math.min(series.length, streamTotal.length);
  const out = new Array<number>(n);
  let own = 0;
  let all = 0;
  for (let i = 0; i < n; i++) {
    own += series[i]!;
    all += streamTotal[i]!;
    if (i >= window) {
      own -= series[i - window]!;
      all -= streamTotal[i - window]!;
    }
    out[i] = all > 0 ? Math.max(0, own / all) : 0;
  }
  return out;
}

/** Trailing mean over `window` steps (fewer at the start). */
export function rollingMean(series: readonly number[], window: number): number[] {
  if (!Number.isInteger(window) || window < 1) throw new RangeError(`rolling mean: window must be a positive integer, got ${window}`);
  const out = new Array<number>(series.length);
  let sum = 0;
  for (let i = 0; i < series.length; i++) {
    sum += series[i]!;
    if (i >= window) sum -= series[i - window]!;
    out[i] = sum / Math.min(i + 1, window);
  }
  return out;
}

/**
 * `values` followed by `horizon` copies of its last value: the usual way to carry an observed
 * feature into steps that have not happened yet.
 */
export function carryForward(values: readonly number[], horizon: number): number[] {
  const last = values.length > 0 ? values[values.length - 1]! : 0;
  return [...values, ...new Array<number>(Math.max(0, horizon)).fill(last)];
}
