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

/** Signed share: 0.45 -> "45%". */
export function fmtPct(fraction: number): string {
  const pct = fraction * 100;
  return `${Math.abs(pct) < 10 && pct !== Math.round(pct) ? pct.toFixed(1) : Math.round(pct)}%`;
}

/** A small number without trailing zeros: 0.2, 1.25, 3. */
export function fmtNumber(n: number): string {
  if (Math.abs(n) >= 100) return grouped(n);
  return trimZeros(n.toFixed(2));
}
