"use client";
import { ACTIONS_HEADER, columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
import { formatAgo, formatBytes, formatDateTime, formatDuration } from "../../../lib/format.ts";
import { ExpectedLoad, FeasibilityBadges } from "./checks.tsx";
import { LogToggle, MigrationLog, useOpenLog } from "./migration-log.tsx";
import { ModeBadge } from "./mode-badge.tsx";
import { ScheduleForm } from "./schedule-form.tsx";
import { shardletColumn } from "./shardlet-column.tsx";
import type { Migration } from "./types.ts";

export interface ProposalActions {
  approve: (id: string) => void;
  reject: (id: string) => void;
  schedule: (input: { id: string; windowStart: Date; windowEnd: Date }) => void;
  busy: boolean;
  scheduleError: unknown;
  /** Id whose schedule form is open (kept by the page so a success can close it). */
  scheduling: string | null;
  setScheduling: (id: string | null) => void;
}

function ProposalButtons({ m, actions }: { m: Migration; actions: ProposalActions }) {
  return (
    <div className="row-actions" style={{ flexDirection: "column", alignItems: "stretch" }}>
      <button type="button" className="small" disabled={actions.busy} onClick={() => actions.approve(m.id)} data-testid="proposal-approve">
        Approve
      </button>
      <button
        type="button"
        className="secondary small"
        disabled={actions.busy}
        onClick={() => actions.setScheduling(actions.scheduling === m.id ? null : m.id)}
        aria-expanded={actions.scheduling === m.id}
        data-testid="proposal-schedule"
      >
        Schedule…
      </button>
      <button type="button" className="secondary small" disabled={actions.busy} onClick={() => actions.reject(m.id)} data-testid="proposal-reject">
        Reject
      </button>
    </div>
  );
}

/** Proposed moves with their reasons, waiting for an operator (most urgent first). */
export function ProposalsTable({ items, canOperate, actions }: { items: Migration[]; canOperate: boolean; actions: ProposalActions }) {
  const log = useOpenLog();
  const cols = columns<Migration>([
    shardletColumn(
      "Shardlet",
      (m) => (
        <>
          <span className="lineage" title={formatDateTime(m.createdAt)}>
            proposed {formatAgo(m.createdAt)} ·{" "}
            <LogToggle open={log.isOpen(m.id)} onToggle={() => log.toggle(m.id)} lowerCase />
          </span>
          {m.urgencySec !== null ? (
            <span className="lineage">
              <span className="badge badge-warn" data-testid="proposal-urgency">
                overload in {formatDuration(m.urgencySec * 1000)}
              </span>
            </span>
          ) : null}
        </>
      ),
      (m) => m.shardletId,
    ),
    {
      id: "move",
      header: "Move",
      td: { className: "nowrap" },
      sortBy: (m) => m.bytesToMove,
      cell: (m) => (
        <>
          {m.sourceHostName} → <strong>{m.destHostName}</strong>
          <span className="lineage">
            <ModeBadge mode={m.mode} /> {m.mode === "handoff" ? "nothing to copy" : `${formatBytes(m.bytesToMove)} to copy`}
          </span>
          <span className="lineage">by {m.origin}</span>
        </>
      ),
    },
    { id: "reason", header: "Reason", td: { className: "wrap", "data-testid": "proposal-reason" }, sortBy: (m) => m.reason, cell: (m) => m.reason },
    {
      id: "load",
      header: "Expected load · feasibility",
      cell: (m) => (
        <>
          <ExpectedLoad m={m} />
          <div style={{ marginTop: 6 }}>
            <FeasibilityBadges m={m} />
          </div>
        </>
      ),
    },
    canOperate && { id: "actions", header: ACTIONS_HEADER, cell: (m) => <ProposalButtons m={m} actions={actions} /> },
  ]);
  return (
    <DataTable
      rows={items}
      columns={cols}
      rowKey={(m) => m.id}
      testId="proposals"
      rowProps={(m) => ({ "data-testid": "proposal-row", "data-id": m.id, "data-stream": m.streamName, "data-shardlet": m.shardletId, "data-origin": m.origin, "data-mode": m.mode })}
      details={(m) => [
        actions.scheduling === m.id ? (
          <ScheduleForm key="schedule" id={m.id} pending={actions.busy} error={actions.scheduleError} onSubmit={actions.schedule} onCancel={() => actions.setScheduling(null)} />
        ) : null,
        log.isOpen(m.id) ? <MigrationLog key="log" id={m.id} live={false} /> : null,
      ]}
      empty="No proposals waiting. The reasons the rebalancer did not propose anything are below."
      emptyProps={{ "data-testid": "proposals-empty" }}
    />
  );
}
