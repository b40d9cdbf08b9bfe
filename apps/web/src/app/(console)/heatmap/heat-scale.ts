/**
 * Colour of a load: a logarithmic ramp from pale (idle) through blue, teal and amber to red at the
 * overload threshold, so shardlets a hundred times apart still read differently and everything
 * at or past the threshold is red.
 */

const STOPS: Array<[number, [number, number, number]]> = [
  [0, [236, 241, 250]],
  [0.25, [150, 186, 240]],
  [0.5, [64, 160, 170]],
  [0.75, [232, 170, 60]],
  [0.92, [226, 110, 50]],
  [1, [200, 40, 40]],
];

/** Position of a value on the ramp: 0 at 0 events/s, 1 at the threshold and above. */
export function heatLevel(value: number, threshold: number): number {
  if (!(value > 0)) return 0;
  const top = Math.log1p(Math.max(threshold, 1));
  return Math.min(1, Math.log1p(value) / top);
}

export function heatColor(value: number, threshold: number): string {
  const t = heatLevel(value, threshold);
  for (let i = 1; i < STOPS.length; i++) {
    const [p1, c1] = STOPS[i]!;
    const [p0, c0] = STOPS[i - 1]!;
    if (t <= p1) {
      const f = (t - p0) / (p1 - p0);
      const c = c0.map((v, k) => Math.round(v + (c1[k]! - v) * f));
      return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
    }
  }
  return "rgb(200, 40, 40)";
}

/** Legend ticks: powers of ten far enough below the threshold for their labels to fit, then the threshold. */
export function legendTicks(threshold: number): number[] {
  const ticks: number[] = [];
  for (let v = 1; heatLevel(v, threshold) < 0.72; v *= 10) ticks.push(v);
  ticks.push(threshold);
  return ticks;
}

/** The stripes laid over forecast cells (predicted, not measured). */
export const FORECAST_STRIPES = "repeating-linear-gradient(135deg, rgba(255,255,255,0.45) 0 2px, transparent 2px 5px)";
