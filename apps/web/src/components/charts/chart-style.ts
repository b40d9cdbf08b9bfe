/** The tooltip box of every chart in the console, in the theme's colours. */
export const TOOLTIP_STYLE = { background: "var(--surface)", border: "1px solid var(--border)", borderRadius: 6 };

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
/** Steps a reader counts in on a clock face, so ticks land on 10:05:00 rather than 10:04:37. */
const TIME_STEPS = [1, 2, 5, 10, 15, 30].map((s) => s * SECOND).concat([1, 2, 5, 10, 15, 30].map((m) => m * MINUTE), [1, 2, 3, 6, 12, 24].map((h) => h * HOUR));

/**
 * At most `count + 1` round times over [min, max] for a time axis. Recharts draws a tick per data
 * point on a horizontal number axis with `scale="time"`, which smears hundreds of labels together.
 */
export function timeTicks(min: number, max: number, count = 6): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min) return Number.isFinite(min) ? [min] : [];
  const step = tickStep(min, max, count);
  if (step < HOUR) {
    const ticks: number[] = [];
    for (let t = Math.ceil(min / step) * step; t <= max; t += step) ticks.push(t);
    return ticks;
  }
  // Hours and days are counted on the reader's clock: a day tick falls on local midnight, and an
  // hour tick on the hour where the zone is not a whole number of hours off UTC, also after a
  // daylight-saving change inside the axis.
  const offset = localOffsetMs(min);
  const ticks: number[] = [];
  for (let t = Math.ceil((min + offset) / step) * step - offset; t <= max + DAY; t += step) {
    const local = t + offset - localOffsetMs(t);
    if (local >= min && local <= max && local > (ticks.at(-1) ?? -Infinity)) ticks.push(local);
  }
  return ticks;
}

function tickStep(min: number, max: number, count: number): number {
  const wanted = (max - min) / count;
  return TIME_STEPS.find((s) => s >= wanted) ?? Math.ceil(wanted / DAY) * DAY;
}

/** How far the local clock is ahead of UTC at `t`. */
function localOffsetMs(t: number): number {
  return -new Date(t).getTimezoneOffset() * MINUTE;
}

/**
 * Tick labels for `timeTicks(min, max, count)`: seconds only when ticks are seconds apart, the day
 * once the axis spans more than one, and the day alone once ticks are days apart, so that a week of
 * history does not read as six unrelated times of day.
 */
export function timeTickFormatter(min: number, max: number, count = 6): (t: number) => string {
  if (!Number.isFinite(min) || !Number.isFinite(max) || max <= min) return (t) => new Date(t).toLocaleTimeString("en-GB", { hour12: false });
  const step = tickStep(min, max, count);
  const days = new Date(min).toDateString() !== new Date(max).toDateString();
  const options: Intl.DateTimeFormatOptions =
    step >= DAY
      ? { day: "numeric", month: "short" }
      : {
          ...(days ? { day: "numeric", month: "short" } : {}),
          hour: "2-digit",
          minute: "2-digit",
          ...(step < MINUTE ? { second: "2-digit" } : {}),
          hour12: false,
        };
  const format = new Intl.DateTimeFormat("en-GB", options);
  return (t) => format.format(t);
}

/** Props of a recharts `XAxis` with `scale="time"` over `times`: round ticks, labelled to suit the span. */
export function timeAxisTicks(times: Iterable<number>, count = 6): { ticks: number[]; tickFormatter: (t: number) => string } {
  const [min, max] = extent(Array.from(times));
  return { ticks: timeTicks(min, max, count), tickFormatter: timeTickFormatter(min, max, count) };
}

/** The extent of `values`, for a numeric axis domain and `timeTicks`. */
export function extent(values: readonly number[]): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of values) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}
