"use client";
import { Fragment, useState } from "react";
import { ShardletRange } from "../../../components/shardlet-range.tsx";
import { StatusBadge } from "../../../components/ui.tsx";
import { formatAgo, formatBytes, formatDateTime, formatDuration, formatNumber } from "../../../lib/format.ts";
import { MigrationLog } from "./migration-log.tsx";
import { ModeBadge } from "./mode-badge.tsx";
import type { Migration } from "./types.ts";

/** Ended migrations, most recent first. */
export function HistoryTable({ items }: { items: Migration[] }) {
  const [open, setOpen] = useState<string | null>(null);
  if (items.length === 0) return <p className="empty" data-testid="history-empty">No migration has ended yet.</p>;
  return (
    <div className="table-wrap">
      <table data-testid="migration-history">
        <thead>
          <tr>
            <th scope="col">Shardlet</th>
            <th scope="col">Move</th>
            <th scope="col">Mode</th>
            <th scope="col">Outcome</th>
            <th scope="col" className="num">
              Rows copied
            </th>
            <th scope="col" className="num">
              Duration
            </th>
            <th scope="col">Ended</th>
            <th scope="col">Decided by</th>
          </tr>
        </thead>
        <tbody>
          {items.map((m) => (
            <Fragment key={m.id}>
              <tr data-testid="history-row" data-id={m.id} data-phase={m.phase} data-stream={m.streamName} data-shardlet={m.shardletId} data-copied={m.rowsCopied} data-mode={m.mode}>
                <td>
                  <ShardletRange range={m.range} id={m.shardletId} stream={m.streamName} title={`${m.shardletLabel} (${m.shardletId})`} />
                  <span className="lineage">
                    <button type="button" className="link" onClick={() => setOpen(open === m.id ? null : m.id)} aria-expanded={open === m.id} data-testid="migration-log-toggle">
                      {open === m.id ? "Hide log" : "Log"}
                    </button>
                  </span>
                </td>
                <td className="nowrap">
                  {m.sourceHostName} → {m.destHostName}
                  <span className="lineage">
                    {m.origin} · {m.mode === "handoff" ? "nothing copied" : formatBytes(m.bytesToMove)}
                  </span>
                </td>
                <td>
                  <ModeBadge mode={m.mode} />
                </td>
                <td>
                  <StatusBadge status={m.phase} testId="history-phase" />
                  {m.error ? <span className="lineage error-text">{m.error}</span> : null}
                </td>
                <td className="num">
                  {m.mode === "handoff" ? (
                    <span className="muted" title="A hand-off copies no row: the history stayed on the source">
                      none
                    </span>
                  ) : (
                    formatNumber(m.rowsCopied)
                  )}
                </td>
                <td className="num">{m.startedAt && m.finishedAt ? formatDuration(m.finishedAt.getTime() - m.startedAt.getTime()) : "—"}</td>
                <td title={formatDateTime(m.finishedAt)}>{formatAgo(m.finishedAt ?? m.updatedAt)}</td>
                <td>{m.decidedBy ?? <span className="muted">—</span>}</td>
              </tr>
              {open === m.id ? (
                <tr>
                  <td colSpan={8}>
                    <MigrationLog id={m.id} live={false} />
                  </td>
                </tr>
              ) : null}
            </Fragment>
          ))}
        </tbody>
      </table>
    </div>
  );
}
