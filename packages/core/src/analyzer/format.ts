/** Numbers with units for the reasons an operator reads. */

export function rate(eventsPerSec: number): string {
  if (eventsPerSec >= 10_000) return `${(eventsPerSec / 1000).toFixed(0)}k events/s`;
  if (eventsPerSec >= 1000) return `${(eventsPerSec / 1000).toFixed(1)}k events/s`;
  return `${eventsPerSec.toFixed(eventsPerSec < 10 ? 1 : 0)} events/s`;
}

export function seconds(sec: number): string {
  const s = Math.max(0, Math.round(sec));
  if (s < 60) return `${s} s`;
  if (s < 3600) return s % 60 === 0 ? `${s / 60} min` : `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${(s / 3600).toFixed(1)} h`;
}

export function bytes(n: number): string {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let v = Math.max(0, n);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v >= 100 || u === 0 ? Math.round(v) : v.toFixed(1).replace(/\.0$/, "")} ${units[u]}`;
}

export function pct(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}
