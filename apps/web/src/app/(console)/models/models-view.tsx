"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useCallback, useState, type FormEvent } from "react";
import { ErrorNote, Loading, PageHeader } from "../../../components/ui.tsx";
import { useCan } from "../../../components/user-context.tsx";
import { formatAgo, formatDateTime } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { ForecastChart } from "./forecast-chart.tsx";
import styles from "./models.module.css";
import { PreallocModelCard } from "./prealloc-model-card.tsx";
import { TrainingPanel } from "./training-panel.tsx";
import { formatMase, versionLabel, type ModelVersion } from "./types.ts";
import { VersionsTable } from "./versions-table.tsx";

type Pending = { action: "promote"; version: ModelVersion } | { action: "rollback" } | { action: "default" };

/** Asks for the reason recorded with a promotion or rollback. */
function ReasonForm({ pending, busy, onConfirm, onCancel }: { pending: Pending; busy: boolean; onConfirm: (reason: string) => void; onCancel: () => void }) {
  const [reason, setReason] = useState("");
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onConfirm(reason);
  };
  const what =
    pending.action === "promote"
      ? `Promote ${versionLabel(pending.version)} so that it serves forecasts`
      : pending.action === "default"
        ? "Retire the active version so that the default per-series selection serves"
        : "Roll back to the version that served before";
  return (
    <form className={styles.reasonForm} onSubmit={submit} data-testid="model-reason-form">
      <div className="field">
        <label htmlFor="model-reason">{what}: why?</label>
        <input id="model-reason" type="text" value={reason} onChange={(e) => setReason(e.target.value)} placeholder="e.g. lower error on last week's traffic" data-testid="model-reason" />
      </div>
      <button type="submit" disabled={busy} data-testid="model-confirm">
        {pending.action === "promote" ? "Promote" : pending.action === "default" ? "Serve the default" : "Roll back"}
      </button>
      <button type="button" className="secondary" onClick={onCancel} disabled={busy}>
        Cancel
      </button>
    </form>
  );
}

export function ModelsView() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canOperate = useCan("operator");
  const [selectedId, setSelectedId] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [result, setResult] = useState<string | null>(null);
  const list = useQuery(trpc.models.list.queryOptions({ limit: 100 }, { refetchInterval: 3_000, placeholderData: (prev) => prev }));
  const detail = useQuery(trpc.models.get.queryOptions(selectedId ? { id: selectedId } : {}, { refetchInterval: 10_000, placeholderData: (prev) => prev }));

  const refresh = useCallback(() => {
    void queryClient.invalidateQueries({ queryKey: trpc.models.list.queryKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.models.get.queryKey() });
  }, [queryClient, trpc]);
  const done = (message: string) => {
    setPending(null);
    setResult(message);
    refresh();
  };
  const promote = useMutation(trpc.models.promote.mutationOptions({ onSuccess: (r) => done(r.message), onMutate: () => setResult(null) }));
  const rollback = useMutation(trpc.models.rollback.mutationOptions({ onSuccess: (r) => done(r.message), onMutate: () => setResult(null) }));

  const versions = list.data?.versions ?? [];
  const active = versions.find((v) => v.status === "active") ?? null;
  const shown = detail.data?.version ?? null;
  const busy = promote.isPending || rollback.isPending;

  return (
    <>
      <PageHeader
        title="Models"
        subtitle="Forecasting models of shardlet load: versions with their errors on a held-out window, forecast against actual, retraining and which version serves."
      />
      <section className="card" aria-labelledby="serving-h" data-testid="model-serving">
        <div className="card-header">
          <h2 id="serving-h">Serving now</h2>
          {canOperate && active ? (
            <span style={{ display: "flex", gap: 8 }}>
              <button type="button" className="secondary small" onClick={() => setPending({ action: "rollback" })} disabled={busy} data-testid="model-rollback">
                Roll back…
              </button>
              <button type="button" className="secondary small" onClick={() => setPending({ action: "default" })} disabled={busy} data-testid="model-use-default">
                Serve the default selection…
              </button>
            </span>
          ) : null}
        </div>
        {list.isPending ? (
          <Loading what="model versions" />
        ) : active ? (
          <div className={styles.serving}>
            <b data-testid="model-active">{versionLabel(active)}</b>
            <span className="chips">
              <span className="chip">
                MASE <b>{formatMase(active.mase)}</b>
              </span>
              <span className="chip" title={formatDateTime(active.promotedAt)}>
                promoted <b>{formatAgo(active.promotedAt)}</b>
              </span>
              <span className="chip">
                trained on <b>{active.source ?? "—"}</b>
              </span>
            </span>
          </div>
        ) : (
          <p className="muted" style={{ margin: 0 }} data-testid="model-active">
            The default per-series selection serves: each series is forecast by whichever of Holt-Winters, seasonal and weekly naive, the weekly median, double-seasonal Holt-Winters and their ensemble did best on its own recent past. A trained version takes over when it beats this selection on its held-out window, or when an operator promotes it.
          </p>
        )}
        {pending ? (
          <ReasonForm
            pending={pending}
            busy={busy}
            onCancel={() => setPending(null)}
            onConfirm={(reason) =>
              pending.action === "promote" ? promote.mutate({ id: pending.version.id, reason }) : rollback.mutate({ reason, ...(pending.action === "default" ? { toDefault: true } : {}) })
            }
          />
        ) : null}
        <ErrorNote error={promote.error ?? rollback.error} testId="model-action-error" />
        {result ? (
          <div className="alert alert-ok" role="status" data-testid="model-action-result" style={{ marginTop: 8 }}>
            {result}
          </div>
        ) : null}
      </section>

      <TrainingPanel onFinished={refresh} />

      <section className="card" aria-labelledby="versions-h">
        <h2 id="versions-h">Versions</h2>
        <ErrorNote error={list.error} />
        {list.data ? (
          <VersionsTable
            versions={versions}
            selectedId={shown?.id ?? null}
            onSelect={setSelectedId}
            canOperate={canOperate}
            onPromote={(v) => {
              setResult(null);
              setPending({ action: "promote", version: v });
            }}
          />
        ) : null}
      </section>

      <section className="card" aria-labelledby="forecast-h" data-testid="model-forecast">
        <div className="card-header">
          <h2 id="forecast-h">Forecast vs actual{shown ? ` — ${versionLabel(shown)}` : ""}</h2>
          {shown && detail.data?.baselineMase !== null ? (
            <span className="muted">
              MASE {formatMase(shown.mase)} against seasonal naive&apos;s {formatMase(detail.data?.baselineMase)} on the same window
            </span>
          ) : null}
        </div>
        <ErrorNote error={detail.error} />
        {detail.isPending ? (
          <Loading what="forecast" />
        ) : detail.data?.evaluation ? (
          <>
            <ForecastChart key={shown?.id} preview={detail.data.evaluation} />
            {detail.data.decision || detail.data.sourceNote ? (
              <p className="muted" style={{ fontSize: 12, margin: "8px 0 0" }} data-testid="model-decision">
                {detail.data.sourceNote ? `Corpus: ${detail.data.sourceNote}. ` : ""}
                {detail.data.decision ?? ""}
              </p>
            ) : null}
          </>
        ) : (
          <p className="empty">No trained version to chart yet.</p>
        )}
      </section>

      <PreallocModelCard />
    </>
  );
}
