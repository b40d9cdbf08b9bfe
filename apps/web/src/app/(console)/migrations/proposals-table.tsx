"use client";
import { Fragment, useState } from "react";
import { ShardletRange } from "../../../components/shardlet-range.tsx";
import { ActionsHeader } from "../../../components/ui.tsx";
import { formatAgo, formatBytes, formatDateTime, formatDuration } from "../../../lib/format.ts";
import { ExpectedLoad, FeasibilityBadges } from "./checks.tsx";
import { MigrationLog } from "./migration-log.tsx";
import { ModeBadge } from "./mode-badge.tsx";
import { ScheduleForm } from "./schedule-form.tsx";
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

/** Proposed moves with their reasons, waiting for an operator (most urgent first). */
export function ProposalsTable({ items, canOperate, actions }: { items: Migration[]; canOperate: boolean; actions: ProposalActions }) {
  const [open, setOpen] = useState<string | null>(null);
  if (items.length === 0) return <p className="empty" data-testid="proposals-empty">No proposals waiting. The reasons the rebalancer did not propose anything are below.</p>;
  const columns = canOperate ? 5 : 4;
  return (
    <div className="table-wrap">
      <table data-testid="proposals">
        <thead>
          <tr>
            <th scope="col">Shardlet</th>
            <th scope="col">Move</th>
            <th scope="col">Reason</th>
            <th scope="col">Expected load · feasibility</th>
            {canOperate ? <ActionsHeader /> : null}
          </tr>
        </thead>
        <tbody>
          {items.map((m) => (
            <Fragment key={m.id}>
              <tr data-testid="proposal-row" data-id={m.id} data-stream={m.streamName} data-shardlet={m.shardletId} data-origin={m.origin} data-mode={m.mode}>
                <td>
                  <ShardletRange range={m.range} id={m.shardletId} stream={m.streamName} title={m.shardletId} />
                  <span className="lineage" title={formatDateTime(m.createdAt)}>
                    proposed {formatAgo(m.createdAt)} ·{" "}
                    <button type="button" className="link" onClick={() => setOpen(open === m.id ? null : m.id)} aria-expanded={open === m.id} data-testid="migration-log-toggle">
                      {open === m.id ? "hide log" : "log"}
                    </button>
                  </span>
                  {m.urgencySec !== null ? (
                    <span className="lineage">
                      <span className="badge badge-warn" data-testid="proposal-urgency">
                        overload in {formatDuration(m.urgencySec * 1000)}
                      </span>
                    </span>
                  ) : null}
                </td>
                <td className="nowrap">
                  {m.sourceHostName} → <strong>{m.destHostName}</strong>
                  <span className="lineage">
                    <ModeBadge mode={m.mode} /> {m.mode === "handoff" ? "nothing to copy" : `${formatBytes(m.bytesToMove)} to copy`}
                  </span>
                  <span className="lineage">by {m.origin}</span>
                </td>
                <td className="wrap" data-testid="proposal-reason">
                  {m.reason}
                </td>
                <td>
                  <ExpectedLoad m={m} />
                  <div style={{ marginTop: 6 }}>
                    <FeasibilityBadges m={m} />
                  </div>
                </td>
                {canOperate ? (
                  <td>
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
                  </td>
                ) : null}
              </tr>
              {actions.scheduling === m.id ? (
                <tr>
                  <td colSpan={columns}>
                    <ScheduleForm id={m.id} pending={actions.busy} error={actions.scheduleError} onSubmit={actions.schedule} onCancel={() => actions.setScheduling(null)} />
                  </td>
                </tr>
              ) : null}
              {open === m.id ? (
                <tr>
                  <td colSpan={columns}>
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
