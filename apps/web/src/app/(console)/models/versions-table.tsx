"use client";
import { ACTIONS_HEADER, columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
import { formatAgo, formatDateTime } from "../../../lib/format.ts";
import styles from "./models.module.css";
import { formatError, formatMase, KIND_LABEL, type ModelVersion } from "./types.ts";

const STATUS_TONE: Record<ModelVersion["status"], string> = {
  active: "badge-ok",
  training: "badge-accent",
  candidate: "badge-warn",
  retired: "",
  failed: "badge-danger",
};

/** Every version, newest first: its figures, when and why it was trained; select one for the chart. */
export function VersionsTable({
  versions,
  selectedId,
  onSelect,
  canOperate,
  onPromote,
}: {
  versions: readonly ModelVersion[];
  selectedId: string | null;
  onSelect: (id: string) => void;
  canOperate: boolean;
  onPromote: (v: ModelVersion) => void;
}) {
  const cols = columns<ModelVersion>([
    { id: "kind", header: "Kind", sortBy: (v) => KIND_LABEL[v.kind], cell: (v) => KIND_LABEL[v.kind] },
    { id: "version", header: "Version", className: "num", sortBy: (v) => v.version, cell: (v) => `v${v.version}` },
    {
      id: "status",
      header: "Status",
      sortBy: (v) => v.status,
      cell: (v) => (
        <>
          <span className={`badge ${STATUS_TONE[v.status]}`} data-testid="model-status">
            {v.status}
          </span>
          {v.status === "training" ? <span className="lineage">{Math.round(v.progress * 100)}%</span> : null}
          {v.error ? (
            <span className="lineage" title={v.error}>
              {v.error.length > 40 ? `${v.error.slice(0, 38)}…` : v.error}
            </span>
          ) : null}
        </>
      ),
    },
    { id: "mae", header: "MAE", title: "Mean absolute error on the held-out window (writes/s)", className: "num", sortBy: (v) => v.mae, cell: (v) => formatError(v.mae) },
    { id: "rmse", header: "RMSE", title: "Root mean squared error on the held-out window", className: "num", sortBy: (v) => v.rmse, cell: (v) => formatError(v.rmse) },
    {
      id: "mase",
      header: "MASE",
      title: "Mean absolute scaled error: below 1 beats seasonal naive's in-sample error",
      className: "num",
      td: { "data-testid": "model-mase" },
      sortBy: (v) => v.mase,
      cell: (v) => formatMase(v.mase),
    },
    { id: "source", header: "Trained on", sortBy: (v) => v.source, cell: (v) => v.source ?? "—" },
    {
      id: "trainedAt",
      header: "Trained at",
      td: (v) => ({ title: formatDateTime(v.finishedAt ?? v.createdAt) }),
      sortBy: (v) => v.finishedAt ?? v.createdAt,
      cell: (v) => formatAgo(v.finishedAt ?? v.createdAt),
    },
    {
      id: "trigger",
      header: "Trigger",
      sortBy: (v) => v.trigger,
      cell: (v) => (
        <>
          {v.trigger}
          {v.actor ? <span className="lineage">{v.actor}</span> : null}
        </>
      ),
    },
    {
      id: "actions",
      header: ACTIONS_HEADER,
      cell: (v) => (
        <div className="row-actions">
          <button type="button" className="secondary small" onClick={() => onSelect(v.id)} disabled={v.mase === null} data-testid="model-view">
            Chart
          </button>
          {canOperate && (v.status === "candidate" || v.status === "retired") ? (
            <button type="button" className="secondary small" onClick={() => onPromote(v)} data-testid="model-promote">
              Promote
            </button>
          ) : null}
        </div>
      ),
    },
  ]);
  return (
    <DataTable
      rows={versions}
      columns={cols}
      rowKey={(v) => v.id}
      testId="model-versions"
      className="dense"
      rowProps={(v) => ({
        className: v.id === selectedId ? styles.selected : undefined,
        "data-testid": "model-row",
        "data-id": v.id,
        "data-kind": v.kind,
        "data-version": v.version,
        "data-status": v.status,
        "data-trigger": v.trigger,
      })}
      empty="No model has been trained yet; the default per-series selection serves until a trained version beats it."
    />
  );
}
