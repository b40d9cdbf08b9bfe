// Core's wording, so a size or duration in a planner's reason reads like the console's own columns.
import { formatDuration as coreDuration } from "@shardcast/core/format";

export { formatBytes } from "@shardcast/core/format";

export function formatNumber(n: number): string {
  return new Intl.NumberFormat("en-US").format(Math.round(n));
}

/** A count with its noun, "1 candidate" / "3 candidates"; pass the plural when it is not the noun plus "s". */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${formatNumber(n)} ${n === 1 ? one : many}`;
}

export function formatRate(n: number): string {
  if (n >= 1000) return `${(n / 1000).toFixed(1)}k/s`;
  return `${n >= 10 ? Math.round(n) : n.toFixed(1)}/s`;
}

export function formatPct(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`;
}

export function formatTime(d: Date | number): string {
  const date = typeof d === "number" ? new Date(d) : d;
  return date.toLocaleTimeString("en-GB", { hour12: false });
}

export function formatDateTime(d: Date | number | null): string {
  if (d === null) return "—";
  const date = typeof d === "number" ? new Date(d) : d;
  return date.toLocaleString("en-GB", { hour12: false, year: "numeric", month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit" });
}

export function formatAgo(d: Date | null, now = Date.now()): string {
  if (d === null) return "never";
  const s = Math.max(0, Math.round((now - d.getTime()) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** How long until `d`: "in 3 h 12 min", or "now" once it has passed (an expiry the worker has yet to act on). */
export function formatTimeLeft(d: Date, now = Date.now()): string {
  const ms = d.getTime() - now;
  return ms > 0 ? `in ${coreDuration(ms)}` : "now";
}

/** The console marks a duration it cannot show with a dash, like its other missing values. */
export function formatDuration(ms: number): string {
  return Number.isFinite(ms) && ms >= 0 ? coreDuration(ms) : "—";
}

/** A consumer's lag as the console words it: events behind and, once known, how long that is. */
export function lagText(events: number | null, seconds: number | null): string {
  if (events === null) return "not measured yet";
  return `${plural(events, "event")}${seconds !== null && seconds > 0 ? ` · ${seconds.toFixed(1)} s` : ""}`;
}

/** A share of the key space in percent: two decimals, and "<0.01%" for a sliver (a hot key split off) rather than a flat 0.00%. */
export function formatKeySpacePct(pct: number): string {
  return pct > 0 && pct < 0.005 ? "<0.01%" : `${pct.toFixed(2)}%`;
}
