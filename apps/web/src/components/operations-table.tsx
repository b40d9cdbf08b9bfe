"use client";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { formatAgo, formatDateTime } from "../lib/format.ts";
import { StatusBadge } from "./ui.tsx";

type Operation = inferRouterOutputs<AppRouter>["operations"]["list"]["operations"][number];

/** `compact` drops the duration and actor columns for narrow cards. */
export function OperationsTable({ operations, testId = "operations-table", compact = false }: { operations: Operation[]; testId?: string; compact?: boolean }) {
  if (operations.length === 0) return <p className="empty">No operations recorded yet.</p>;
  return (
    <div className="table-wrap">
      <table data-testid={testId}>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Kind</th>
            <th scope="col">Status</th>
            <th scope="col">Message</th>
            {compact ? null : (
              <th scope="col" className="num">
                Duration
              </th>
            )}
          </tr>
        </thead>
        <tbody>
          {operations.map((o) => (
            <tr key={o.id}>
              <td title={formatDateTime(o.startedAt)}>{formatAgo(o.startedAt)}</td>
              <td>
                <code>{o.kind}</code>
              </td>
              <td>
                <StatusBadge status={o.status} />
              </td>
              <td className={compact ? "wrap-tight" : "wrap"}>
                {o.message}
                {o.actor && !compact ? <span className="muted"> · {o.actor}</span> : null}
              </td>
              {compact ? null : <td className="num">{o.durationMs === null ? "—" : `${o.durationMs} ms`}</td>}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
