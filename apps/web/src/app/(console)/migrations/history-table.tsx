"use client";
import { columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
import { StatusBadge } from "../../../components/ui.tsx";
import { formatAgo, formatBytes, formatDateTime, formatDuration, formatNumber } from "../../../lib/format.ts";
import { LogToggle, MigrationLog, useOpenLog } from "./migration-log.tsx";
import { ModeBadge } from "./mode-badge.tsx";
import { shardletColumn } from "./shardlet-column.tsx";
import type { Migration } from "./types.ts";

const duration = (m: Migration) => (m.startedAt && m.finishedAt ? m.finishedAt.getTime() - m.startedAt.getTime() : null);

/** Ended migrations, most recent first. */
export function HistoryTable({ items }: { items: Migration[] }) {
  const log = useOpenLog();
  const cols = columns<Migration>([
    shardletColumn("Shardlet", (m) => (
      <span className="lineage">
        <LogToggle open={log.isOpen(m.id)} onToggle={() => log.toggle(m.id)} />
      </span>
    )),
    {
      id: "move",
      header: "Move",
      td: { className: "nowrap" },
      sortBy: (m) => `${m.sourceHostName} ${m.destHostName}`,
      cell: (m) => (
        <>
          {m.sourceHostName} → {m.destHostName}
          <span className="lineage">
            {m.origin} · {m.mode === "handoff" ? "nothing copied" : formatBytes(m.bytesToMove)}
          </span>
        </>
      ),
    },
    { id: "mode", header: "Mode", sortBy: (m) => m.mode, cell: (m) => <ModeBadge mode={m.mode} /> },
    {
      id: "outcome",
      header: "Outcome",
      sortBy: (m) => m.phase,
      cell: (m) => (
        <>
          <StatusBadge status={m.phase} testId="history-phase" />
          {m.error ? <span className="lineage error-text">{m.error}</span> : null}
        </>
      ),
    },
    {
      id: "rows",
      header: "Rows copied",
      className: "num",
      sortBy: (m) => m.rowsCopied,
      cell: (m) =>
        m.mode === "handoff" ? (
          <span className="muted" title="A hand-off copies no row: the history stayed on the source">
            none
          </span>
        ) : (
          formatNumber(m.rowsCopied)
        ),
    },
    { id: "duration", header: "Duration", className: "num", sortBy: duration, cell: (m) => { const ms = duration(m); return ms === null ? "—" : formatDuration(ms); } },
    { id: "ended", header: "Ended", sortBy: (m) => m.finishedAt ?? m.updatedAt, cell: (m) => formatAgo(m.finishedAt ?? m.updatedAt), td: (m) => ({ title: formatDateTime(m.finishedAt) }) },
    { id: "decidedBy", header: "Decided by", sortBy: (m) => m.decidedBy, cell: (m) => m.decidedBy ?? <span className="muted">—</span> },
  ]);
  return (
    <DataTable
      rows={items}
      columns={cols}
      rowKey={(m) => m.id}
      testId="migration-history"
      rowProps={(m) => ({ "data-testid": "history-row", "data-id": m.id, "data-phase": m.phase, "data-stream": m.streamName, "data-shardlet": m.shardletId, "data-copied": m.rowsCopied, "data-mode": m.mode })}
      details={(m) => (log.isOpen(m.id) ? <MigrationLog id={m.id} live={false} /> : null)}
      empty="No migration has ended yet."
      emptyProps={{ "data-testid": "history-empty" }}
    />
  );
}
