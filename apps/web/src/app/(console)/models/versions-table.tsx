"use client";
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
  if (versions.length === 0) {
    return <p className="empty">No model has been trained yet; the default per-series selection serves until a trained version beats it.</p>;
  }
  return (
    <div className="table-wrap">
      <table className="dense" data-testid="model-versions">
        <thead>
          <tr>
            <th scope="col">Kind</th>
            <th scope="col" className="num">
              Version
            </th>
            <th scope="col">Status</th>
            <th scope="col" className="num" title="Mean absolute error on the held-out window (writes/s)">
              MAE
            </th>
            <th scope="col" className="num" title="Root mean squared error on the held-out window">
              RMSE
            </th>
            <th scope="col" className="num" title="Mean absolute scaled error: below 1 beats seasonal naive's in-sample error">
              MASE
            </th>
            <th scope="col">Trained on</th>
            <th scope="col">Trained at</th>
            <th scope="col">Trigger</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr
              key={v.id}
              className={v.id === selectedId ? styles.selected : undefined}
              data-testid="model-row"
              data-id={v.id}
              data-kind={v.kind}
              data-version={v.version}
              data-status={v.status}
              data-trigger={v.trigger}
            >
              <td>{KIND_LABEL[v.kind]}</td>
              <td className="num">v{v.version}</td>
              <td>
                <span className={`badge ${STATUS_TONE[v.status]}`} data-testid="model-status">
                  {v.status}
                </span>
                {v.status === "training" ? <span className="lineage">{Math.round(v.progress * 100)}%</span> : null}
                {v.error ? (
                  <span className="lineage" title={v.error}>
                    {v.error.length > 40 ? `${v.error.slice(0, 38)}…` : v.error}
                  </span>
                ) : null}
              </td>
              <td className="num">{formatError(v.mae)}</td>
              <td className="num">{formatError(v.rmse)}</td>
              <td className="num" data-testid="model-mase">
                {formatMase(v.mase)}
              </td>
              <td>{v.source ?? "—"}</td>
              <td title={formatDateTime(v.finishedAt ?? v.createdAt)}>{formatAgo(v.finishedAt ?? v.createdAt)}</td>
              <td>
                {v.trigger}
                {v.actor ? <span className="lineage">{v.actor}</span> : null}
              </td>
              <td>
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
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
