import { formatDuration } from "../../../lib/format.ts";

/** "now", "in 45 s", "in 3 min 5 s", "in 2 h 30 min". */
export function formatUrgency(sec: number | null): string {
  if (sec === null) return "—";
  // Whole seconds: a countdown in milliseconds would only flicker.
  const s = Math.max(0, Math.round(sec));
  return s === 0 ? "now" : `in ${formatDuration(s * 1000)}`;
}
