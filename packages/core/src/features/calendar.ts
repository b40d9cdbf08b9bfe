/**
 * Calendar features as points on a circle (sin, cos), so 23:00 is next to 00:00 and Saturday next
 * to Sunday. Times are UTC shifted by `tzOffsetMinutes` (the operators' local day, when it matters).
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface CalendarFeatures {
  hourSin: number[];
  hourCos: number[];
  dowSin: number[];
  dowCos: number[];
}

/** Hour of day in [0, 24), fractional (10:30 is 10.5). */
export function hourOfDay(ms: number, tzOffsetMinutes = 0): number {
  const local = ms + tzOffsetMinutes * 60_000;
  return (((local % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
}

/** Day of week, 0 = Sunday ... 6 = Saturday (1970-01-01 was a Thursday). */
export function dayOfWeek(ms: number, tzOffsetMinutes = 0): number {
  const days = Math.floor((ms + tzOffsetMinutes * 60_000) / DAY_MS);
  return (((days + 4) % 7) + 7) % 7;
}

/** Features of the middle of each step, so an hourly bucket 10:00-11:00 reads as 10:30. */
export function calendarFeatures(opts: { startMs: number; stepMs: number; steps: number; tzOffsetMinutes?: number }): CalendarFeatures {
  const out: CalendarFeatures = { hourSin: [], hourCos: [], dowSin: [], dowCos: [] };
  const tz = opts.tzOffsetMinutes ?? 0;
  for (let i = 0; i < opts.steps; i++) {
    const mid = opts.startMs + i * opts.stepMs + opts.stepMs / 2;
    const h = (2 * Math.PI * hourOfDay(mid, tz)) / 24;
    const d = (2 * Math.PI * dayOfWeek(mid, tz)) / 7;
    out.hourSin.push(Math.sin(h));
    out.hourCos.push(Math.cos(h));
    out.dowSin.push(Math.sin(d));
    out.dowCos.push(Math.cos(d));
  }
  return out;
}
