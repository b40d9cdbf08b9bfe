"use client";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
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

const COLUMNS = columns<Job>([
  { id: "kind", header: "Kind", sortBy: (j) => j.kind, cell: (j) => <code>{j.kind}</code> },
  { id: "stream", header: "Stream", sortBy: (j) => j.streamName, cell: (j) => j.streamName },
  {
    id: "phase",
    header: "Phase",
    sortBy: (j) => j.phase,
    cell: (j) => (
      <>
        {/* Running phases share one tone; the label says which step the job is in. */}
        {j.running ? <span className="badge badge-accent">{j.phase}</span> : <StatusBadge status={j.phase} />}
        {j.attempts > 1 ? <span className="lineage">attempt {j.attempts}</span> : null}
      </>
    ),
  },
  {
    id: "shardlets",
    header: "Sources → children",
    td: { className: "wrap" },
    cell: (j) => (
      <>
        <ShardletList list={j.sources} /> → <ShardletList list={j.children} />
        {j.splitAt !== null ? <span className="lineage">split at 0x{j.splitAt.toString(16).padStart(8, "0")}</span> : null}
      </>
    ),
  },
  { id: "rowsMoved", header: "Rows moved", className: "num", sortBy: (j) => j.rowsMoved, cell: (j) => formatNumber(j.rowsMoved) },
  { id: "drained", header: "Drained", className: "num", sortBy: (j) => j.drained, cell: (j) => formatNumber(j.drained) },
  { id: "started", header: "Started", td: (j) => ({ title: formatDateTime(j.startedAt) }), sortBy: (j) => j.startedAt, cell: (j) => formatAgo(j.startedAt) },
  {
    id: "duration",
    header: "Duration",
    className: "num",
    sortBy: (j) => j.durationMs,
    cell: (j) => (
      <>
        {formatDuration(j.durationMs)}
        {j.running ? <span className="lineage">so far</span> : null}
      </>
    ),
  },
  {
    id: "reason",
    header: "Reason / error",
    td: { className: "wrap" },
    sortBy: (j) => j.error ?? j.reason,
    cell: (j) =>
      j.error ? (
        <span className="error-text">{j.error}</span>
      ) : (
        <span className="muted">
          {j.reason}
          {j.actor ? ` · ${j.actor}` : ""}
        </span>
      ),
  },
]);

/** Splits and merges in progress first, then the recent finished ones. */
export function LifecycleJobsTable({ jobs }: { jobs: Job[] }) {
  return (
    <DataTable
      rows={jobs}
      columns={COLUMNS}
      rowKey={(j) => j.id}
      testId="lifecycle-jobs"
      rowProps={(j) => ({ "data-testid": "lifecycle-job-row", "data-kind": j.kind, "data-phase": j.phase })}
      empty="No split or merge has run yet."
      emptyProps={{ "data-testid": "lifecycle-jobs-empty" }}
    />
  );
}
