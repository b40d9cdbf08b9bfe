import type { Comparison } from "../compare.ts";
import { formatBytes } from "@shardcast/core/format";
import { fmtInt, fmtNum, fmtPct, METRIC_COLUMNS } from "./format.ts";
import { seriesMax, utilSeries, violationPoints } from "./series.ts";
import { barChart, esc, lineChart, type Band } from "./svg.ts";

const HOST_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#d62728", "#aec7e8", "#98df8a"];
const POLICY_COLORS: Record<string, string> = { static: "#95a5a6", static_peak: "#7f8c8d", reactive: "#e67e22", reactive_tuned: "#c0392b", predictive: "#2980b9", oracle: "#27ae60" };

export interface ReportOptions {
  title: string;
  /** The command that reproduces the report. */
  command: string;
  /** Free text under the title (what the run shows, how it was tuned). */
  intro?: string;
}

function configRows(c: Comparison): Array<[string, string]> {
  const cl = c.config.cluster;
  const p = c.config.policy;
  const hosts = c.layout.hosts;
  const cap = hosts.reduce((s, h) => s + h.capacityEventsPerSec, 0);
  return [
    ["hosts", `${hosts.length}, ${fmtInt(cap)} events/s in total`],
    ["peak load", `${fmtPct(c.config.peakUtilisation, 0)} of the write capacity (busiest bucket)`],
    ["data", `${cl.eventBytes} B per event, ${cl.retentionHours} h retention`],
    [
      "migrations",
      cl.moveModel === "handoff"
        ? `hand-offs of ${cl.handoffSec} s (nothing copied; the sealed history stays on the source until retention drops it); a drained host's history copied off at ${formatBytes(cl.migrationBytesPerSec)}/s, ${cl.migrationSetupSec} s setup, ${cl.maxMigrationsPerHost} per host at once`
        : `copies of ${formatBytes(cl.migrationBytesPerSec)}/s each, ${cl.migrationSetupSec} s setup, ${cl.maxMigrationsPerHost} per host at once, ${fmtPct(cl.copyOverhead, 0)} of capacity on both ends while copying`,
    ],
    ["splits", `${cl.splitSec} s each (writes take the overflow log meanwhile); split at ${p.lifecycle.splitThreshold} fullness or ${fmtInt(p.lifecycle.splitWriteRate)} events/s`],
    ["clock", `${cl.tickMinutes}-minute ticks; reactive scans every tick, the analyzer every ${p.analyzeEveryTicks > 0 ? `${p.analyzeEveryTicks} ticks` : "bucket"}`],
    ["rebalancer", `tolerance ${p.rebalance.tolerance}, hysteresis ${p.rebalance.hysteresis}, cool-down ${p.rebalance.cooldownSec} s, at most ${p.rebalance.maxProposalsPerRun} moves a run`],
    ["analyzer", `${p.forecaster.replace("_", "-")}, horizon ${p.horizonSteps} buckets, ${p.historySteps} buckets of history, host bound ${p.analyzer.hostLoadBound} x mean`],
    [
      "predictive",
      `analyzer splits started, analyzer moves: ${p.analyzerMoves}; rebalancer on ${p.rebalanceLeadSteps > 0 ? `the larger of current and forecast load ${p.rebalanceLeadSteps} buckets ahead` : "current load"}`,
    ],
    [
      "oracle",
      `analyzer splits ${p.oracle.analyzerSplits ? "started" : "not started"}, moves: ${p.oracle.analyzerMoves}; rebalancer on the larger of current and true load ${p.oracle.rebalanceLeadSteps} buckets ahead; ${p.oracle.drainLookaheadSec > 0 ? `a drain only when the host's shardlets fit on the rest within ${Math.round(p.oracle.drainFitUtilization * 100)}% of each host over ${Math.round(p.oracle.drainLookaheadSec / 3600)} h of true load` : "drains on the cluster's load only"}`,
    ],
    ["warm-up", `${c.config.warmupBuckets} buckets simulated but not measured`],
  ];
}

function section(c: Comparison, index: number): string {
  const w = c.workload;
  const perPoint = Math.max(1, Math.round(w.bucketMs / (c.config.cluster.tickMinutes * 60_000)));
  const out: string[] = [];
  out.push(`<section id="w${index}"><h2>${esc(w.name)}</h2>`);
  out.push(`<p>${esc(w.description)}. Source: ${esc(w.source)}.</p>`);
  out.push(`<p class="params">${Object.entries(w.params).map(([k, v]) => `<code>${esc(k)}=${esc(String(v))}</code>`).join(" ")}</p>`);
  out.push(`<table class="config"><tbody>${configRows(c).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join("")}</tbody></table>`);
  out.push(`<div class="scroll"><table class="metrics"><thead><tr><th>policy</th>${METRIC_COLUMNS.map((col) => `<th>${esc(col.label)}</th>`).join("")}</tr></thead><tbody>`);
  for (const r of c.runs) {
    out.push(`<tr><th><span class="dot" style="background:${POLICY_COLORS[r.policy] ?? "#333"}"></span>${esc(r.policy)}</th>${METRIC_COLUMNS.map((col) => `<td>${esc(col.value(r.metrics))}</td>`).join("")}</tr>`);
  }
  out.push("</tbody></table></div>");
  const s = c.summary;
  out.push(
    `<p class="summary">Predictive vs reactive_tuned: ${s.violation_minutes_reactive_tuned > 0 ? `<b>${fmtPct(s.violation_reduction_vs_reactive)}</b> fewer violation minutes` : "reactive_tuned had no violation minutes"}; ` +
      `host-hours ratio <b>${fmtNum(s.host_hours_ratio_vs_reactive, 3)}</b> (<b>${fmtNum(s.host_hours_ratio_vs_static_peak, 3)}</b> of static_peak); ` +
      `bytes moved ratio <b>${Number.isFinite(s.bytes_moved_ratio_vs_reactive) ? fmtNum(s.bytes_moved_ratio_vs_reactive) : "∞"}</b>; p99 max/mean host load <b>${fmtNum(s.max_mean_p99_predictive, 3)}</b>.</p>`,
  );
  out.push(
    barChart(
      "Violation minutes (some host above capacity)",
      c.runs.map((r) => ({ label: r.policy, value: r.metrics.violationMinutes, color: POLICY_COLORS[r.policy] ?? "#333", text: fmtInt(r.metrics.violationMinutes) })),
    ),
  );
  const series = c.runs.map((r) => utilSeries(r, perPoint));
  const yMax = Math.max(1.1, Math.ceil(seriesMax(series.flat()) * 10) / 10);
  const bands: Band[] = [{ from: 0, to: c.config.warmupBuckets, color: "#f2f3f5", label: "warm-up (not measured)" }];
  for (const m of w.markers) {
    if (m.kind === "flash_crowd") bands.push({ from: m.startBucket, to: m.endBucket, color: "#fdebd0", label: m.label });
  }
  const hoursPerPoint = (perPoint * c.config.cluster.tickMinutes) / 60;
  c.runs.forEach((r, i) => {
    out.push(
      `<figure>${lineChart({
        title: `${r.policy}: utilisation of each host (mean per ${w.bucketMs / 60_000}-minute bucket); red marks: buckets with a host above capacity`,
        series: series[i]!.map((values, h) => ({ label: r.hostIds[h]!, values, color: HOST_COLORS[h % HOST_COLORS.length]! })),
        yMax,
        reference: { value: 1, label: "capacity" },
        bands,
        marks: { at: violationPoints(r, perPoint), color: "#c0392b", label: "a host above capacity" },
        xLabel: (p) => `day ${fmtNum((p * hoursPerPoint) / 24, 0)}`,
        yLabel: (v) => `${Math.round(v * 100)}%`,
      })}</figure>`,
    );
  });
  out.push("</section>");
  return out.join("\n");
}

/** A self-contained HTML page (inline CSS and SVG) comparing the policies on each workload. */
export function renderReport(comparisons: readonly Comparison[], opts: ReportOptions): string {
  const toc = comparisons.map((c, i) => `<a href="#w${i}">${esc(c.workload.name)}</a>`).join(" · ");
  const overview =
    comparisons.length > 1
      ? `<div class="scroll"><table class="metrics"><thead><tr><th>workload</th><th>static_peak</th><th>reactive</th><th>reactive_tuned</th><th>predictive</th><th>oracle</th><th>reduction vs reactive_tuned</th><th>host-hours vs reactive_tuned</th><th>host-hours vs static_peak</th><th>bytes moved ratio</th><th>p99 max/mean (predictive)</th></tr></thead><tbody>${comparisons
          .map((c) => {
            const s = c.summary;
            return `<tr><th>${esc(c.workload.name)}</th><td>${fmtInt(s.violation_minutes_static)}</td><td>${fmtInt(s.violation_minutes_reactive)}</td><td>${fmtInt(s.violation_minutes_reactive_tuned)}</td><td>${fmtInt(s.violation_minutes_predictive)}</td><td>${fmtInt(s.violation_minutes_oracle)}</td><td>${s.violation_minutes_reactive_tuned > 0 ? fmtPct(s.violation_reduction_vs_reactive) : "n/a"}</td><td>${fmtNum(s.host_hours_ratio_vs_reactive, 3)}</td><td>${fmtNum(s.host_hours_ratio_vs_static_peak, 3)}</td><td>${Number.isFinite(s.bytes_moved_ratio_vs_reactive) ? fmtNum(s.bytes_moved_ratio_vs_reactive) : "∞"}</td><td>${fmtNum(s.max_mean_p99_predictive, 3)}</td></tr>`;
          })
          .join("")}</tbody></table></div><p class="note">Violation minutes per policy (minutes in which some host carried more than its capacity).</p>`
      : "";
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(opts.title)}</title>
<style>
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d2330;max-width:1100px;margin:24px auto;padding:0 16px}
h1{font-size:22px;margin:0 0 6px}h2{font-size:18px;margin:32px 0 6px;border-top:1px solid #dde1e6;padding-top:16px}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}pre{background:#f4f5f7;padding:8px 10px;overflow:auto}
table{border-collapse:collapse;margin:10px 0}th,td{padding:4px 8px;border-bottom:1px solid #e5e8ec;text-align:right;white-space:nowrap}
th:first-child{text-align:left}table.config th{text-align:left;color:#556;font-weight:500}table.config td{text-align:left;white-space:normal}
.dot{display:inline-block;width:9px;height:9px;border-radius:50%;margin-right:6px}.params code{background:#f4f5f7;padding:1px 4px;margin-right:2px}
.scroll{overflow-x:auto}figure{margin:12px 0}.summary{font-size:15px}.note{color:#667;font-size:12px}nav{margin:8px 0 0}
</style></head><body>
<h1>${esc(opts.title)}</h1>
${opts.intro ? `<p>${esc(opts.intro)}</p>` : ""}
<p>Reproduce with:</p><pre>${esc(opts.command)}</pre>
<nav>${toc}</nav>
${overview}
${comparisons.map(section).join("\n")}
</body></html>
`;
}
