"use client";
import { useQuery } from "@tanstack/react-query";
import { ErrorNote, Loading } from "../../../components/ui.tsx";
import { formatAgo, formatDateTime } from "../../../lib/format.ts";
import { pctOrDash, preallocActionLabel, shortId } from "../../../lib/prealloc.ts";
import { useTRPC } from "../../../lib/trpc.ts";

const fallbacks = (n: number) => (n >= 100 ? String(Math.round(n)) : n.toFixed(1));

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
      {run && run.decisions.length === 0 ? (
        <p className="empty" data-testid="prealloc-estimates-empty">
          The latest run (<span title={formatDateTime(run.at)}>{formatAgo(run.at)}</span>) had no candidates.
        </p>
      ) : null}
      {run && run.decisions.length > 0 ? (
        <>
          <p className="muted" style={{ fontSize: 12 }} data-testid="prealloc-estimates-run">
            Run <span title={formatDateTime(run.at)}>{formatAgo(run.at)}</span>, {run.decisions.length} candidate{run.decisions.length === 1 ? "" : "s"}.
          </p>
          <div className="table-wrap">
            <table data-testid="prealloc-decisions-table">
              <thead>
                <tr>
                  <th scope="col">Shardlet</th>
                  <th scope="col" className="num">
                    Probability
                  </th>
                  <th scope="col" className="num">
                    Fallbacks saved
                  </th>
                  <th scope="col" className="num">
                    Cost
                  </th>
                  <th scope="col">Action</th>
                  <th scope="col">Prepared</th>
                  <th scope="col">Why / why not</th>
                </tr>
              </thead>
              <tbody>
                {run.decisions.map((d) => (
                  <tr key={d.shardletId} data-testid="prealloc-decision-row" data-shardlet={d.shardletId} data-prepare={d.prepare}>
                    <td className="mono" title={d.shardletId}>
                      {shortId(d.shardletId)}
                    </td>
                    <td className="num">{pctOrDash(d.probability)}</td>
                    <td className="num" title={`${pctOrDash(d.probability)} × ${fallbacks(d.fallbacksIfReactive)} if reactive`}>
                      {fallbacks(d.expectedFallbacksSaved)}
                    </td>
                    <td className="num">{fallbacks(d.cost)}</td>
                    <td>{preallocActionLabel(d.action)}</td>
                    <td>
                      <span className={`badge ${d.prepare ? "badge-ok" : ""}`}>{d.prepare ? "yes" : "no"}</span>
                    </td>
                    <td data-testid="prealloc-decision-reason">{d.reason}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </div>
  );
}
