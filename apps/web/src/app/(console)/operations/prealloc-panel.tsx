"use client";
import { useQuery } from "@tanstack/react-query";
import { ErrorNote, Loading } from "../../../components/ui.tsx";
import { formatAgo } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";

const pct = (x: number | null) => (x === null ? "—" : `${Math.round(x * 100)}%`);

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
          {q.data.preallocations.length === 0 ? (
            <p className="empty">Nothing was pre-allocated yet.</p>
          ) : (
            <div className="table-wrap">
              <table data-testid="prealloc-table">
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">State</th>
                    <th scope="col">Shardlet</th>
                    <th scope="col">Announced by</th>
                    <th scope="col" className="num">
                      Probability
                    </th>
                    <th scope="col">Why</th>
                  </tr>
                </thead>
                <tbody>
                  {q.data.preallocations.map((p) => (
                    <tr key={p.id} data-testid="prealloc-row" data-id={p.id} data-state={p.state}>
                      <td>{formatAgo(p.startedAt)}</td>
                      <td>{p.state}</td>
                      <td className="mono" title={p.shardletId}>
                        …{p.shardletId.slice(-8)}
                      </td>
                      <td>{p.cause ?? "—"}</td>
                      <td className="num">{pct(p.probability)}</td>
                      <td>{p.reason}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {q.data.latestRun && q.data.latestRun.decisions.length > 0 ? (
            <>
              <h3>Latest candidates ({formatAgo(q.data.latestRun.at)})</h3>
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
