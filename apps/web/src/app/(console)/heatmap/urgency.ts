/** "now", "in 45 s", "in 3 min 5 s", "in 2.5 h". */
export function formatUrgency(sec: number | null): string {
  if (sec === null) return "—";
  const s = Math.max(0, Math.round(sec));
  if (s === 0) return "now";
  if (s < 60) return `in ${s} s`;
  if (s < 3600) return s % 60 === 0 ? `in ${s / 60} min` : `in ${Math.floor(s / 60)} min ${s % 60} s`;
  return `in ${(s / 3600).toFixed(1)} h`;
}
