"use client";
import { useQuery } from "@tanstack/react-query";
import { columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
import { ErrorNote, Loading } from "../../../components/ui.tsx";
import { formatAgo, formatDateTime } from "../../../lib/format.ts";
import { pctOrDash, preallocActionLabel, shortId, type PreallocDecisionView } from "../../../lib/prealloc.ts";
import { useTRPC } from "../../../lib/trpc.ts";

const fallbacks = (n: number) => (n >= 100 ? String(Math.round(n)) : n.toFixed(1));

const COLUMNS = columns<PreallocDecisionView>([
  { id: "shardlet", header: "Shardlet", td: (d) => ({ className: "mono", title: d.shardletId }), sortBy: (d) => d.shardletId, cell: (d) => shortId(d.shardletId) },
  { id: "probability", header: "Probability", className: "num", sortBy: (d) => d.probability, cell: (d) => pctOrDash(d.probability) },
  {
    id: "saved",
    header: "Fallbacks saved",
    className: "num",
    td: (d) => ({ title: `${pctOrDash(d.probability)} × ${fallbacks(d.fallbacksIfReactive)} if reactive` }),
    sortBy: (d) => d.expectedFallbacksSaved,
    cell: (d) => fallbacks(d.expectedFallbacksSaved),
  },
  { id: "cost", header: "Cost", className: "num", sortBy: (d) => d.cost, cell: (d) => fallbacks(d.cost) },
  { id: "action", header: "Action", sortBy: (d) => preallocActionLabel(d.action), cell: (d) => preallocActionLabel(d.action) },
  { id: "prepared", header: "Prepared", sortBy: (d) => d.prepare, cell: (d) => <span className={`badge ${d.prepare ? "badge-ok" : ""}`}>{d.prepare ? "yes" : "no"}</span> },
  { id: "why", header: "Why / why not", td: { "data-testid": "prealloc-decision-reason" }, sortBy: (d) => d.reason, cell: (d) => d.reason },
]);

/**
 * The cost model's verdicts of the latest pre-allocation run, candidate by candidate: what
 * preparing would save against what it costs (both in events sent to the overflow log) and why
 * it was prepared or not. The worker logs a run at most once a minute unless it changed something.
 */
export function PreallocEstimates() {
  const trpc = useTRPC();
  // One pre-allocation row is enough: only the latest run is shown here (the Models card shares this query).
  const q = useQuery(trpc.prealloc.overview.queryOptions({ limit: 1 }, { refetchInterval: 15_000 }));
  const run = q.data?.latestRun ?? null;
  return (
    <div data-testid="prealloc-estimates" style={{ marginTop: 18 }}>
      <h3 style={{ marginBottom: 4 }}>Cost model: latest estimates</h3>
      <p className="muted" style={{ marginTop: 0 }}>
        Expected fallbacks saved = probability × the events a reactive split during the surge would send to the overflow log. Cost = the events preparing now
        sends there (lock, copy, the extra shardlet held, a merge back if wrong). A candidate is prepared when the saving beats the cost by the margin
        aggressiveness sets.
      </p>
      <ErrorNote error={q.error} />
      {q.isPending ? <Loading what="cost model estimates" /> : null}
      {q.data && !run ? (
        <p className="empty" data-testid="prealloc-estimates-empty">
          No pre-allocation run has been logged yet: a run is logged when it weighs predicted shardlets or settles a pre-allocation.
        </p>
      ) : null}
      {run ? (
        <>
          {run.decisions.length > 0 ? (
            <p className="muted" style={{ fontSize: 12 }} data-testid="prealloc-estimates-run">
              Run <span title={formatDateTime(run.at)}>{formatAgo(run.at)}</span>, {run.decisions.length} candidate{run.decisions.length === 1 ? "" : "s"}.
            </p>
          ) : null}
          <DataTable
            rows={run.decisions}
            columns={COLUMNS}
            rowKey={(d) => d.shardletId}
            testId="prealloc-decisions-table"
            rowProps={(d) => ({ "data-testid": "prealloc-decision-row", "data-shardlet": d.shardletId, "data-prepare": d.prepare })}
            empty={
              <>
                The latest run (<span title={formatDateTime(run.at)}>{formatAgo(run.at)}</span>) had no candidates.
              </>
            }
            emptyProps={{ "data-testid": "prealloc-estimates-empty" }}
          />
        </>
      ) : null}
    </div>
  );
}
