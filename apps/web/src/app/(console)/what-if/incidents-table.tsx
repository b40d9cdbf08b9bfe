"use client";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { formatDateTime, formatNumber, formatPct } from "../../../lib/format.ts";

type IncidentRow = inferRouterOutputs<AppRouter>["whatif"]["run"]["incidents"][number];

/** "day 2 03:05" into a trace, or the wall-clock time of telemetry. */
function when(t: number, relative: boolean): string {
  if (!relative) return formatDateTime(t);
  const day = Math.floor(t / 86_400_000);
  const minutes = Math.floor((t % 86_400_000) / 60_000);
  return `day ${day} ${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;
}

/**
 * Where each policy's minutes over capacity come from: its largest incidents with the cluster at
 * their start. A hottest host far above the mean says the load sat on one host while others had
 * room; serving fewer hosts than planned, or hosts asked for only during the incident, says a
 * host came late.
 */
export function IncidentsTable({ incidents, relative }: { incidents: IncidentRow[]; relative: boolean }) {
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
              <td className="nowrap">{when(x.from, relative)}</td>
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
