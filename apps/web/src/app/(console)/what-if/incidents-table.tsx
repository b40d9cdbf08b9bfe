"use client";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
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
  if (incidents.length === 0) {
    return (
      <p className="muted" data-testid="whatif-incidents-none">
        No policy ran a host past its capacity in the measured part.
      </p>
    );
  }
  return (
    <div className="table-wrap">
      <table data-testid="whatif-incidents">
        <thead>
          <tr>
            <th scope="col">Policy</th>
            <th scope="col">Starts</th>
            <th scope="col" className="num">Lasts</th>
            <th scope="col" className="num">Minutes over capacity</th>
            <th scope="col" className="num" title="Hosts serving at the start (paid for, and wanted by the capacity plan); the most serving during it">
              Hosts serving (paid, plan) → most
            </th>
            <th scope="col" className="num" title="The hottest host's utilisation at its worst tick, against the mean of the hosts serving then">
              Hottest host vs mean
            </th>
            <th scope="col" className="num" title="Hosts asked for during the incident or in the six hours before it">
              Hosts asked for
            </th>
          </tr>
        </thead>
        <tbody>
          {incidents.map((x) => (
            <tr key={`${x.policy}-${x.from}`} data-testid="whatif-incident-row" data-policy={x.policy}>
              <td>
                <strong>{x.policy}</strong>
              </td>
              <td className="nowrap">{when(x.from)}</td>
              <td className="num">{formatNumber((x.to - x.from) / 60_000)} min</td>
              <td className="num">{formatNumber(x.violationMinutes)}</td>
              <td className="num">
                {x.servingAtStart} <span className="muted">({x.paidAtStart}{x.plannedAtStart !== null ? `, ${x.plannedAtStart}` : ""})</span> → {x.servingMax}
              </td>
              <td className="num">
                {formatPct(x.hottestUtil)} <span className="muted">vs {formatPct(x.meanUtilThen)}</span>
              </td>
              <td className="num">{x.hostsAsked}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
