/**
 * The daily migration window of the rebalance settings ([start, end) in whole UTC hours, possibly
 * across midnight). Pure: the caller passes the time.
 */

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

export interface WindowHours {
  windowStartHourUtc: number;
  windowEndHourUtc: number;
}

export type WindowState =
  | { anyTime: true }
  | {
      anyTime: false;
      /** The window contains `now`. */
      open: boolean;
      /** Epoch ms of the window that is open now, or of the next one. */
      start: number;
      end: number;
      /** Length of one window, ms. */
      lengthMs: number;
    };

export function isAnyTime(w: WindowHours): boolean {
  const start = w.windowStartHourUtc % 24;
  const end = w.windowEndHourUtc % 24;
  return start === end;
}

export function windowLabel(w: WindowHours): string {
  if (isAnyTime(w)) return "any time";
  const hh = (h: number) => `${String(h % 24).padStart(2, "0")}:00`;
  return `${hh(w.windowStartHourUtc)}–${hh(w.windowEndHourUtc)} UTC`;
}

export function windowAt(now: number, w: WindowHours): WindowState {
  if (isAnyTime(w)) return { anyTime: true };
  const startH = w.windowStartHourUtc % 24;
  const endH = w.windowEndHourUtc % 24;
  const lengthMs = (((endH - startH) % 24) + 24) % 24 * HOUR_MS;
  const dayStart = Math.floor(now / DAY_MS) * DAY_MS;
  // The window that started most recently (today's or yesterday's) may still be open.
  for (const base of [dayStart - DAY_MS, dayStart]) {
    const start = base + startH * HOUR_MS;
    const end = start + lengthMs;
    if (now >= start && now < end) return { anyTime: false, open: true, start, end, lengthMs };
  }
  let start = dayStart + startH * HOUR_MS;
  if (start <= now) start += DAY_MS;
  return { anyTime: false, open: false, start, end: start + lengthMs, lengthMs };
}
