"use client";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
import { formatNumber, formatPct } from "../../../lib/format.ts";
import { timeLabel } from "./what-if-chart.tsx";

type IncidentRow = inferRouterOutputs<AppRouter>["whatif"]["run"]["incidents"][number];

/**
 * Where each policy's minutes over capacity come from: its largest incidents with the cluster at
 * their start. A hottest host far above the mean says the load sat on one host while others had
 * room; serving fewer hosts than planned, or hosts asked for only during the incident, says a
 * host came late.
 */
export function IncidentsTable({ incidents, relative }: { incidents: IncidentRow[]; relative: boolean }) {
  // The charts' own time labels, so an incident can be found on them.
  const when = timeLabel(relative);
  const cols = columns<IncidentRow>([
    { id: "policy", header: "Policy", sortBy: (x) => x.policy, cell: (x) => <strong>{x.policy}</strong> },
    { id: "starts", header: "Starts", td: { className: "nowrap" }, sortBy: (x) => x.from, cell: (x) => when(x.from) },
    { id: "lasts", header: "Lasts", className: "num", sortBy: (x) => x.to - x.from, cell: (x) => `${formatNumber((x.to - x.from) / 60_000)} min` },
    { id: "minutes", header: "Minutes over capacity", className: "num", sortBy: (x) => x.violationMinutes, cell: (x) => formatNumber(x.violationMinutes) },
    {
      id: "hosts",
      header: "Hosts serving (paid, plan) → most",
      title: "Hosts serving at the start (paid for, and wanted by the capacity plan); the most serving during it",
      className: "num",
      sortBy: (x) => x.servingAtStart,
      cell: (x) => (
        <>
          {x.servingAtStart} <span className="muted">({x.paidAtStart}{x.plannedAtStart !== null ? `, ${x.plannedAtStart}` : ""})</span> → {x.servingMax}
        </>
      ),
    },
    {
      id: "hottest",
      header: "Hottest host vs mean",
      title: "The hottest host's utilisation at its worst tick, against the mean of the hosts serving then",
      className: "num",
      sortBy: (x) => x.hottestUtil,
      cell: (x) => (
        <>
          {formatPct(x.hottestUtil)} <span className="muted">vs {formatPct(x.meanUtilThen)}</span>
        </>
      ),
    },
    { id: "asked", header: "Hosts asked for", title: "Hosts asked for during the incident or in the six hours before it", className: "num", sortBy: (x) => x.hostsAsked, cell: (x) => x.hostsAsked },
  ]);
  return (
    <DataTable
      rows={incidents}
      columns={cols}
      rowKey={(x) => `${x.policy}-${x.from}`}
      testId="whatif-incidents"
      // A run answers at most five incidents for each of its six policies: one page shows them all.
      pageSize={30}
      rowProps={(x) => ({ "data-testid": "whatif-incident-row", "data-policy": x.policy })}
      empty="No policy ran a host past its capacity in the measured part."
      emptyProps={{ className: "muted", "data-testid": "whatif-incidents-none" }}
    />
  );
}
