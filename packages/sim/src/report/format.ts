import type { PolicyMetrics } from "../engine/metrics.ts";
import { formatBytes } from "@shardcast/core/format";

export function fmtInt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

export function fmtNum(n: number, digits = 2): string {
  return n.toFixed(digits);
}

export function fmtPct(x: number, digits = 1): string {
  return `${(x * 100).toFixed(digits)}%`;
}

/** Columns of the per-policy table (terminal, HTML and the console share them). */
export const METRIC_COLUMNS: Array<{ key: string; label: string; value: (m: PolicyMetrics) => string }> = [
  { key: "violation", label: "violation min", value: (m) => fmtInt(m.violationMinutes) },
  { key: "hostHours", label: "host-hours", value: (m) => fmtInt(m.hostHours) },
  { key: "hosts", label: "hosts", value: (m) => (m.hostsMin === m.hostsMax ? `${m.hostsMax}` : `${m.hostsMin}-${m.hostsMax}`) },
  { key: "maxMean50", label: "max/mean p50", value: (m) => fmtNum(m.maxMeanMedian, 3) },
  { key: "maxMean99", label: "max/mean p99", value: (m) => fmtNum(m.maxMeanP99, 3) },
  { key: "util99", label: "hottest util p99", value: (m) => fmtPct(m.maxUtilP99, 0) },
  { key: "lat99", label: "p99 latency", value: (m) => `${m.p99LatencyMs >= 100 ? fmtInt(m.p99LatencyMs) : fmtNum(m.p99LatencyMs, 2)} ms` },
  { key: "bytes", label: "bytes moved", value: (m) => formatBytes(m.bytesMoved) },
  { key: "migrations", label: "migrations", value: (m) => fmtInt(m.migrations) },
  { key: "splits", label: "splits", value: (m) => fmtInt(m.splits) },
  { key: "merges", label: "merges", value: (m) => fmtInt(m.merges) },
  { key: "fallback", label: "fallback events", value: (m) => `${fmtInt(m.fallbackEvents)} (${fmtPct(m.fallbackShare, 3)})` },
];
