"use client";
import { ACTIONS_HEADER, columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
import { formatAgo, formatBytes, formatDateTime, formatDuration, formatNumber } from "../../../lib/format.ts";
import { LogToggle, MigrationLog, useOpenLog } from "./migration-log.tsx";
import { ModeBadge } from "./mode-badge.tsx";
import { shardletColumn } from "./shardlet-column.tsx";
import styles from "./migrations.module.css";
import { CANCELLABLE_PHASES, HANDOFF_STEPS, perSecond, RUN_STEPS, RUNNING_PHASES, type Migration } from "./types.ts";

/**
 * approved → copying → verifying → switching → cleanup → done, the current one highlighted; a
 * hand-off goes from approved to done in one step (no copy, nothing to clean).
 */
export function PhaseStepper({ phase, mode = "copy" }: { phase: string; mode?: Migration["mode"] }) {
  const steps: readonly string[] = mode === "handoff" ? HANDOFF_STEPS : RUN_STEPS;
  const at = steps.indexOf(phase === "scheduled" ? "approved" : phase);
  return (
    <ol className={styles.stepper} aria-label={`phase: ${phase}`} data-testid="phase-stepper">
      {steps.map((step, i) => (
        <li key={step} className={styles.step} data-state={i < at ? "done" : i === at ? "current" : "todo"} aria-current={i === at ? "step" : undefined}>
          {i === 0 && phase === "scheduled" ? "scheduled" : step}
        </li>
      ))}
    </ol>
  );
}

function Progress({ m }: { m: Migration }) {
  if (m.mode === "handoff") {
    return (
      <span className="muted" data-testid="migration-no-copy">
        No row is copied: the write load moves, the history stays readable on {m.sourceHostName} until the stream&apos;s retention drops it.
      </span>
    );
  }
  const total = m.rowsTotal;
  const fraction = total > 0 ? Math.min(1, m.rowsCopied / total) : m.phase === "copying" ? 0 : RUNNING_PHASES.has(m.phase) ? 1 : 0;
  return (
    <div className={styles.progress}>
      <div className="bar" role="progressbar" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(fraction * 100)} aria-label="rows copied" data-testid="migration-progress">
        <div className="bar-fill" style={{ width: `${fraction * 100}%`, background: "var(--accent)" }} />
      </div>
      <div className={styles.figures}>
        <span data-testid="migration-rows" data-copied={m.rowsCopied} data-total={m.rowsTotal}>
          {formatNumber(m.rowsCopied)} / {total > 0 ? formatNumber(total) : "?"} rows
        </span>
        <span data-testid="migration-rate">{m.rate > 0 ? perSecond(m.rate, "rows") : "—"}</span>
        <span data-testid="migration-eta">{m.etaSec !== null ? `ETA ${formatDuration(m.etaSec * 1000)}` : m.phase === "copying" ? "ETA —" : ""}</span>
        <span>{formatBytes(m.bytesToMove)}</span>
      </div>
    </div>
  );
}

function When({ m, open, onToggle }: { m: Migration; open: boolean; onToggle: () => void }) {
  return (
    <>
      {m.phase === "scheduled" && m.windowStart && m.windowEnd ? (
        <span data-testid="migration-window">
          window {formatDateTime(m.windowStart)}
          <span className="lineage">until {formatDateTime(m.windowEnd)}</span>
        </span>
      ) : m.startedAt ? (
        <span title={formatDateTime(m.startedAt)}>started {formatAgo(m.startedAt)}</span>
      ) : (
        <span className="muted">waiting for the mover</span>
      )}
      <span className="lineage">
        <LogToggle open={open} onToggle={onToggle} />
      </span>
    </>
  );
}

/** Approved, scheduled and running migrations: phase, live progress, cancel. */
export function OpenMigrations({
  items,
  canOperate,
  onCancel,
  busy,
}: {
  items: Migration[];
  canOperate: boolean;
  onCancel: (id: string) => void;
  busy: boolean;
}) {
  const log = useOpenLog();
  const cols = columns<Migration>([
    shardletColumn("Shardlet / move", (m) => (
      <>
        <span className="lineage">
          {m.sourceHostName} → <strong>{m.destHostName}</strong> · {m.origin}
        </span>
        <span className="lineage">
          <ModeBadge mode={m.mode} />
        </span>
      </>
    )),
    {
      id: "phase",
      header: "Phase",
      td: { style: { minWidth: 250 } },
      sortBy: (m) => m.phase,
      cell: (m) => (
        <>
          <PhaseStepper phase={m.phase} mode={m.mode} />
          {m.cancelRequested ? (
            <span className="lineage">
              <span className="badge badge-warn" data-testid="cancel-requested">
                cancel requested
              </span>
            </span>
          ) : null}
          {m.attempts > 1 ? <span className="lineage">attempt {m.attempts}</span> : null}
          {m.error ? <span className="lineage error-text">{m.error}</span> : null}
        </>
      ),
    },
    { id: "progress", header: "Progress", sortBy: (m) => (m.rowsTotal > 0 ? m.rowsCopied / m.rowsTotal : null), cell: (m) => <Progress m={m} /> },
    { id: "when", header: "When", sortBy: (m) => m.windowStart ?? m.startedAt, cell: (m) => <When m={m} open={log.isOpen(m.id)} onToggle={() => log.toggle(m.id)} /> },
    canOperate && {
      id: "actions",
      header: ACTIONS_HEADER,
      cell: (m) =>
        CANCELLABLE_PHASES.has(m.phase) && !m.cancelRequested ? (
          <button type="button" className="secondary small" disabled={busy} onClick={() => onCancel(m.id)} data-testid="migration-cancel">
            Cancel
          </button>
        ) : (
          <span className="muted" title="From the switch on, a migration can only finish.">
            —
          </span>
        ),
    },
  ]);
  return (
    <DataTable
      rows={items}
      columns={cols}
      rowKey={(m) => m.id}
      testId="open-migrations"
      rowProps={(m) => ({ "data-testid": "open-migration", "data-id": m.id, "data-phase": m.phase, "data-stream": m.streamName, "data-shardlet": m.shardletId })}
      details={(m) => (log.isOpen(m.id) ? <MigrationLog id={m.id} live /> : null)}
      empty="No migration is approved, scheduled or running."
      emptyProps={{ "data-testid": "open-migrations-empty" }}
    />
  );
}
