"use client";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { rangeLabel } from "../../../components/shardlet-range.tsx";
import { StatusBadge } from "../../../components/ui.tsx";
import { formatAgo, formatDateTime, formatDuration, formatNumber } from "../../../lib/format.ts";

type Job = inferRouterOutputs<AppRouter>["operations"]["lifecycleJobs"]["jobs"][number];
type JobShardlet = Job["sources"][number];

function ShardletList({ list }: { list: JobShardlet[] }) {
  if (list.length === 0) return <span className="muted">—</span>;
  return (
    <>
      {list.map((s, i) => (
        <span key={s.id} className="mono" title={s.id}>
          {i > 0 ? ", " : ""}
          {rangeLabel(s.range, s.id)}
        </span>
      ))}
    </>
  );
}

/** Splits and merges in progress first, then the recent finished ones. */
export function LifecycleJobsTable({ jobs }: { jobs: Job[] }) {
  if (jobs.length === 0) return <p className="empty" data-testid="lifecycle-jobs-empty">No split or merge has run yet.</p>;
  return (
    <div className="table-wrap">
      <table data-testid="lifecycle-jobs">
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col">Stream</th>
            <th scope="col">Phase</th>
            <th scope="col">Sources → children</th>
            <th scope="col" className="num">
              Rows moved
            </th>
            <th scope="col" className="num">
              Drained
            </th>
            <th scope="col">Started</th>
            <th scope="col" className="num">
              Duration
            </th>
            <th scope="col">Reason / error</th>
          </tr>
        </thead>
        <tbody>
          {jobs.map((j) => (
            <tr key={j.id} data-testid="lifecycle-job-row" data-kind={j.kind} data-phase={j.phase}>
              <td>
                <code>{j.kind}</code>
              </td>
              <td>{j.streamName}</td>
              <td>
                {/* Running phases share one tone; the label says which step the job is in. */}
                {j.running ? <span className="badge badge-accent">{j.phase}</span> : <StatusBadge status={j.phase} />}
                {j.attempts > 1 ? <span className="lineage">attempt {j.attempts}</span> : null}
              </td>
              <td className="wrap">
                <ShardletList list={j.sources} /> → <ShardletList list={j.children} />
                {j.splitAt !== null ? <span className="lineage">split at 0x{j.splitAt.toString(16).padStart(8, "0")}</span> : null}
              </td>
              <td className="num">{formatNumber(j.rowsMoved)}</td>
              <td className="num">{formatNumber(j.drained)}</td>
              <td title={formatDateTime(j.startedAt)}>{formatAgo(j.startedAt)}</td>
              <td className="num">
                {formatDuration(j.durationMs)}
                {j.running ? <span className="lineage">so far</span> : null}
              </td>
              <td className="wrap">
                {j.error ? (
                  <span className="error-text">{j.error}</span>
                ) : (
                  <span className="muted">
                    {j.reason}
                    {j.actor ? ` · ${j.actor}` : ""}
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
