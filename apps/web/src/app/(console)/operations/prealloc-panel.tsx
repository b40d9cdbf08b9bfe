"use client";
import { useQuery } from "@tanstack/react-query";
import { columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
import { ErrorNote, Loading } from "../../../components/ui.tsx";
import { formatAgo } from "../../../lib/format.ts";
import type { Preallocation } from "../../../lib/prealloc.ts";
import { useTRPC } from "../../../lib/trpc.ts";

const pct = (x: number | null) => (x === null ? "—" : `${Math.round(x * 100)}%`);

const COLUMNS = columns<Preallocation>([
  { id: "when", header: "When", sortBy: (p) => p.startedAt, cell: (p) => formatAgo(p.startedAt) },
  { id: "state", header: "State", sortBy: (p) => p.state, cell: (p) => p.state },
  { id: "shardlet", header: "Shardlet", td: (p) => ({ className: "mono", title: p.shardletId }), sortBy: (p) => p.shardletId, cell: (p) => `…${p.shardletId.slice(-8)}` },
  { id: "cause", header: "Announced by", sortBy: (p) => p.cause, cell: (p) => p.cause ?? "—" },
  { id: "probability", header: "Probability", className: "num", sortBy: (p) => p.probability, cell: (p) => pct(p.probability) },
  { id: "why", header: "Why", sortBy: (p) => p.reason, cell: (p) => p.reason },
]);

/**
 * Pre-allocations: what the edges' content model predicted, what the pre-allocator prepared and
 * whether the surge used it or the parts were merged back; the model's precision and recall; and
 * the cost model's latest verdicts, why and why not.
 */
export function PreallocPanel() {
  const trpc = useTRPC();
  const q = useQuery(trpc.prealloc.overview.queryOptions({ limit: 30 }, { refetchInterval: 5000 }));
  return (
    <section className="card" aria-labelledby="prealloc-h" data-testid="prealloc-panel">
      <h2 id="prealloc-h">Pre-allocations</h2>
      <ErrorNote error={q.error} />
      {q.isPending ? <Loading what="pre-allocations" /> : null}
      {q.data ? (
        <>
          <p data-testid="prealloc-summary">
            Aggressiveness {q.data.aggressiveness}
            {q.data.aggressiveness === 0 ? " (off: the reactive path alone splits)" : ""} · used {q.data.outcomes.hit} · released (wasted) {q.data.outcomes.released} ·
            open {q.data.outcomes.open} · failed {q.data.outcomes.failed} · wasted share {pct(q.data.wastedShare)}
            {q.data.latestRun ? ` · model precision ${pct(q.data.latestRun.precision)}, recall ${pct(q.data.latestRun.recall)} (version ${q.data.latestRun.modelVersion ?? "—"})` : ""}
          </p>
          <DataTable
            rows={q.data.preallocations}
            columns={COLUMNS}
            rowKey={(p) => p.id}
            testId="prealloc-table"
            rowProps={(p) => ({ "data-testid": "prealloc-row", "data-id": p.id, "data-state": p.state })}
            empty="Nothing was pre-allocated yet."
          />
          {q.data.latestRun && q.data.latestRun.decisions.length > 0 ? (
            <>
              <h3>Latest candidates ({formatAgo(q.data.latestRun.at)})</h3>
              {q.data.latestRun.gates.map((g) => (
                <p key={g.streamId} data-testid="prealloc-gate" data-open={g.open}>
                  Skill gate of stream <span className="mono">…{g.streamId.slice(-8)}</span> {g.open ? "open" : "closed"}: {g.reason}
                </p>
              ))}
              <ul data-testid="prealloc-decisions">
                {q.data.latestRun.decisions.map((d) => (
                  <li key={d.shardletId}>
                    <span className="mono">…{d.shardletId.slice(-8)}</span> {d.prepare ? "prepared" : "not prepared"} ({pct(d.probability)}): {d.reason}
                  </li>
                ))}
              </ul>
            </>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
