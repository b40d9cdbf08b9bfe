"use client";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
import { formatBytes, formatNumber, formatPct } from "../../../lib/format.ts";

type PolicyResult = inferRouterOutputs<AppRouter>["whatif"]["run"]["policies"][number];

const POLICY_COLUMNS = columns<PolicyResult>([
  { id: "policy", header: "Policy", sortBy: (p) => p.policy, cell: (p) => <strong>{p.policy}</strong> },
  {
    id: "violation",
    header: "Minutes over capacity",
    className: "num",
    td: (p) => ({ "data-testid": `whatif-${p.policy}-violation` }),
    sortBy: (p) => p.metrics.violationMinutes,
    cell: (p) => formatNumber(p.metrics.violationMinutes),
  },
  {
    id: "hostHours",
    header: "Host-hours",
    title: "Hours of every paid host (provisioning, active, draining) over the measured time: the cost",
    className: "num",
    td: (p) => ({ "data-testid": `whatif-${p.policy}-host-hours` }),
    sortBy: (p) => p.metrics.hostHours,
    cell: ({ metrics: m }) => (m.hostHours < 100 ? m.hostHours.toFixed(1) : formatNumber(m.hostHours)),
  },
  {
    id: "hosts",
    header: "Hosts +/− (min–max)",
    title: "Hosts added and removed after a drain; fewest and most paid at once",
    className: "num",
    sortBy: (p) => p.metrics.hostsAdded,
    cell: ({ metrics: m }) => (
      <>
        +{m.hostsAdded} −{m.hostsRemoved} <span className="muted">({m.hostsMin}–{m.hostsMax})</span>
      </>
    ),
  },
  { id: "p50", header: "Max/mean p50", className: "num", sortBy: (p) => p.metrics.maxMeanMedian, cell: (p) => p.metrics.maxMeanMedian.toFixed(2) },
  { id: "p99", header: "Max/mean p99", className: "num", sortBy: (p) => p.metrics.maxMeanP99, cell: (p) => p.metrics.maxMeanP99.toFixed(2) },
  { id: "hottest", header: "Hottest host p99", className: "num", sortBy: (p) => p.metrics.maxUtilP99, cell: (p) => formatPct(p.metrics.maxUtilP99) },
  {
    id: "latency",
    header: "p99 latency",
    className: "num",
    sortBy: (p) => p.metrics.p99LatencyMs,
    cell: ({ metrics: m }) => (m.p99LatencyMs < 100 ? `${m.p99LatencyMs.toFixed(1)} ms` : `${formatNumber(m.p99LatencyMs)} ms`),
  },
  { id: "bytes", header: "Bytes moved", className: "num", sortBy: (p) => p.metrics.bytesMoved, cell: (p) => formatBytes(p.metrics.bytesMoved) },
  { id: "migrations", header: "Migrations", className: "num", sortBy: (p) => p.metrics.migrations, cell: (p) => formatNumber(p.metrics.migrations) },
  { id: "splits", header: "Splits", className: "num", sortBy: (p) => p.metrics.splits, cell: (p) => formatNumber(p.metrics.splits) },
  { id: "merges", header: "Merges", className: "num", sortBy: (p) => p.metrics.merges, cell: (p) => formatNumber(p.metrics.merges) },
  {
    id: "fallbacks",
    header: "Fallback events",
    className: "num",
    sortBy: (p) => p.metrics.fallbackEvents,
    cell: ({ metrics: m }) => (
      <>
        {formatNumber(m.fallbackEvents)} <span className="muted">({formatPct(m.fallbackShare)})</span>
      </>
    ),
  },
]);

/** Each policy's figures over the measured part of the run, side by side. */
export function PolicyTable({ policies }: { policies: PolicyResult[] }) {
  return (
    <DataTable
      rows={policies}
      columns={POLICY_COLUMNS}
      rowKey={(p) => p.policy}
      testId="whatif-table"
      rowProps={(p) => ({ "data-testid": `whatif-row-${p.policy}` })}
      empty="No policy was simulated."
    />
  );
}
