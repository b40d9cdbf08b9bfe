/** Numbers with units for the reasons an operator reads. */

import { formatDuration } from "../format.ts";

export function rate(eventsPerSec: number): string {
  if (eventsPerSec >= 10_000) return `${(eventsPerSec / 1000).toFixed(0)}k events/s`;
  if (eventsPerSec >= 1000) return `${(eventsPerSec / 1000).toFixed(1)}k events/s`;
  return `${eventsPerSec.toFixed(eventsPerSec < 10 ? 1 : 0)} events/s`;
}

/**
 * The analyzer's models estimate in whole seconds, so finer digits would be noise; a moment already
 * past reads as no time left rather than "unknown".
 */
export function seconds(sec: number): string {
  return formatDuration(Math.max(0, Math.round(sec)) * 1000);
}

export function pct(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}
