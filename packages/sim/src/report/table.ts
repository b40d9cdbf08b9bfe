import type { Comparison } from "../compare.ts";
import { formatBytes } from "@shardcast/core/format";
import { fmtNum, fmtPct, METRIC_COLUMNS } from "./format.ts";

/** The comparison of one workload as a text table (one row per policy). */
export function comparisonTable(c: Comparison): string {
  const header = ["policy", ...METRIC_COLUMNS.map((col) => col.label)];
  const rows = c.runs.map((r) => [r.policy, ...METRIC_COLUMNS.map((col) => col.value(r.metrics))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  ");
  const s = c.summary;
  const measured = c.runs[0]?.metrics.measuredMinutes ?? 0;
  // The comparison line needs both policies: a policy that did not run has no minutes to compare.
  const ran = (policy: string) => c.runs.some((r) => r.policy === policy);
  const versus =
    `  predictive vs reactive_tuned: ${s.violation_minutes_reactive_tuned > 0 ? `${fmtPct(s.violation_reduction_vs_reactive)} fewer violation minutes` : "reactive_tuned had no violation minutes"}, ` +
    `host-hours x${fmtNum(s.host_hours_ratio_vs_reactive, 3)}${Number.isFinite(s.host_hours_ratio_vs_static_peak) ? ` (x${fmtNum(s.host_hours_ratio_vs_static_peak, 3)} of static_peak)` : ""}, ` +
    `bytes moved x${Number.isFinite(s.bytes_moved_ratio_vs_reactive) ? fmtNum(s.bytes_moved_ratio_vs_reactive) : "inf"} (${formatBytes(c.runs.find((r) => r.policy === "predictive")?.metrics.bytesMoved ?? 0)}), ` +
    `p99 max/mean ${fmtNum(s.max_mean_p99_predictive, 3)}`;
  return [
    `${c.workload.name}: ${c.workload.description}`,
    `  ${c.workload.buckets} buckets of ${c.workload.bucketMs / 60_000} min, ${c.workload.keyHashes.length} keys, ${c.layout.hosts.length} hosts; measured ${fmtNum(measured / 1440, 1)} days after ${c.config.warmupBuckets} warm-up buckets`,
    line(header),
    widths.map((w) => "-".repeat(w)).join("  "),
    ...rows.map(line),
    ...(ran("predictive") && ran("reactive_tuned") ? [versus] : []),
  ].join("\n");
}
