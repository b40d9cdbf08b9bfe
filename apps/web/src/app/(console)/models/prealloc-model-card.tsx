"use client";
import { useQuery } from "@tanstack/react-query";
import { ErrorNote, Loading } from "../../../components/ui.tsx";
import { formatAgo, formatDateTime } from "../../../lib/format.ts";
import { pctOrDash, type PreallocOverview } from "../../../lib/prealloc.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import styles from "./models.module.css";
import { PreallocDefaultModel } from "./prealloc-default-model.tsx";

/** Why there are no figures, in plain words. */
function Unpublished({ run }: { run: PreallocOverview["latestRun"] }) {
  const text = run
    ? `The latest pre-allocation run (${formatAgo(run.at)}) found no model published by an edge: no version, precision or recall yet.`
    : "Nothing published yet: no edge has reported its content model's version, precision or recall to a pre-allocation run. Edges publish once they score events.";
  return (
    <p className="muted" style={{ margin: 0 }} data-testid="prealloc-model-empty">
      {text}
    </p>
  );
}

/**
 * The edges' content model (which predicts shardlet surges from event content) as the latest
 * pre-allocation run saw it, and what its predictions led to: parts used, wasted, failed, open.
 */
export function PreallocModelCard() {
  const trpc = useTRPC();
  // Same query as the settings page's estimates: only the latest run and the outcome counts are read.
  const q = useQuery(trpc.prealloc.overview.queryOptions({ limit: 1 }, { refetchInterval: 15_000 }));
  const d = q.data;
  const run = d?.latestRun ?? null;
  return (
    <section className="card" aria-labelledby="prealloc-model-h" data-testid="prealloc-model">
      <div className="card-header">
        <h2 id="prealloc-model-h">Content model (pre-allocation)</h2>
        {run ? (
          <span className="muted" title={formatDateTime(run.at)} data-testid="prealloc-model-at">
            last published {formatAgo(run.at)}
          </span>
        ) : null}
      </div>
      <p className="muted" style={{ marginTop: 0 }}>
        Each edge scores the events it acknowledges and predicts which shardlets are about to surge. Precision: the share of predicted surges that came.
        Recall: the share of surges that were predicted. The model runs whatever the aggressiveness; with 0 nothing is prepared from it.
      </p>
      <ErrorNote error={q.error} />
      {q.isPending ? <Loading what="content model" /> : null}
      {d ? (
        <>
          {run && run.modelVersion !== null ? (
            <div className={styles.serving} data-testid="prealloc-model-figures">
              <b data-testid="prealloc-model-version">Content model v{run.modelVersion}</b>
              <span className="chips">
                <span className="chip">
                  precision <b data-testid="prealloc-model-precision">{run.precision === null ? "not measured yet" : pctOrDash(run.precision)}</b>
                </span>
                <span className="chip">
                  recall <b data-testid="prealloc-model-recall">{run.recall === null ? "not measured yet" : pctOrDash(run.recall)}</b>
                </span>
              </span>
            </div>
          ) : (
            <Unpublished run={run} />
          )}
          <h3 style={{ margin: "14px 0 6px" }}>Pre-allocation outcomes</h3>
          <div className="chips" data-testid="prealloc-model-outcomes">
            <span className="chip" title="The predicted surge came and used the prepared part">
              hit <b data-testid="prealloc-outcome-hit">{d.outcomes.hit}</b>
            </span>
            <span className="chip" title="No surge came: the parts were merged back">
              released (wasted) <b data-testid="prealloc-outcome-released">{d.outcomes.released}</b>
            </span>
            <span className="chip">
              failed <b data-testid="prealloc-outcome-failed">{d.outcomes.failed}</b>
            </span>
            <span className="chip" title="Being prepared, or prepared and waiting for the surge">
              open <b data-testid="prealloc-outcome-open">{d.outcomes.open}</b>
            </span>
            <span className="chip" title="Released over hit plus released">
              wasted share <b data-testid="prealloc-wasted-share">{d.wastedShare === null ? "— (none settled)" : pctOrDash(d.wastedShare)}</b>
            </span>
          </div>
          <PreallocDefaultModel training={d.defaultModel} onFinished={() => void q.refetch()} />
          {d.aggressiveness === 0 ? (
            <p className="muted" style={{ fontSize: 12, margin: "8px 0 0" }} data-testid="prealloc-model-off">
              Aggressiveness is 0: nothing is prepared (an admin changes it under Settings › Pre-allocation).
            </p>
          ) : null}
        </>
      ) : null}
    </section>
  );
}
