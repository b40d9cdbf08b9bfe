/**
 * Numbers with units for the planners' reasons and notes, which operators read in the console.
 * Locale-independent, so the text (and the tests) do not change with the machine.
 */

export const MIB = 1024 * 1024;

function grouped(n: number): string {
  const s = String(Math.round(Math.abs(n)));
  const out = s.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return n < 0 && Math.round(Math.abs(n)) !== 0 ? `-${out}` : out;
}

function trimZeros(s: string): string {
  return s.includes(".") ? s.replace(/\.?0+$/, "") : s;
}

/** 0.25, 12.5, 1,250 events/s. */
export function fmtRate(eventsPerSec: number): string {
  const v = Math.abs(eventsPerSec);
  const text = v >= 100 ? grouped(eventsPerSec) : v >= 10 ? trimZeros(eventsPerSec.toFixed(1)) : v === 0 ? "0" : trimZeros(eventsPerSec.toFixed(2));
  return `${text} events/s`;
}

const UNITS = ["B", "KB", "MB", "GB", "TB"];

/** Binary units with the short names the console uses: 512 B, 64 KB, 1.5 MB. */
export function fmtBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes <= 0) return "0 B";
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  const text = value >= 100 || unit === 0 ? String(Math.round(value)) : value.toFixed(1).replace(/\.0$/, "");
  return `${text} ${UNITS[unit]}`;
}

/** Signed share: 0.45 -> "45%". */
export function fmtPct(fraction: number): string {
  const pct = fraction * 100;
  return `${Math.abs(pct) < 10 && pct !== Math.round(pct) ? pct.toFixed(1) : Math.round(pct)}%`;
}

/** 850 ms, 12 s, 4 min, 2 h 10 min. */
export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "unknown";
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1_000);
  if (s < 120) return `${s} s`;
  const min = Math.round(s / 60);
  if (min < 120) return `${min} min`;
  return `${Math.floor(min / 60)} h ${min % 60} min`;
}

/** A small number without trailing zeros: 0.2, 1.25, 3. */
export function fmtNumber(n: number): string {
  if (Math.abs(n) >= 100) return grouped(n);
  return trimZeros(n.toFixed(2));
}
