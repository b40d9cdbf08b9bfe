"use client";
import { ACTIONS_HEADER, columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
import { StatusBadge } from "../../../components/ui.tsx";
import { formatAgo, formatDateTime, formatPct, formatRate } from "../../../lib/format.ts";
import styles from "./migrations.module.css";
import type { Planner } from "./types.ts";

type HostLoad = Planner["hosts"][number];

const over = (h: HostLoad) => (h.share > 0 ? h.load / h.share - 1 : 0);

function VersusShare({ h }: { h: HostLoad }) {
  if (h.status !== "active" || h.share <= 0) return <span className="muted">—</span>;
  const hot = h.load > h.trigger && h.trigger > 0;
  return (
    <span className={`badge ${hot ? "badge-danger" : over(h) > 0 ? "badge-warn" : "badge-ok"}`}>
      {over(h) >= 0 ? "+" : ""}
      {formatPct(over(h))}
    </span>
  );
}

/** Each host's write load against its share of the cluster load and the rebalancer's thresholds. */
export function HostLoads({
  planner,
  canDrain,
  onDrain,
  busy,
}: {
  planner: Planner;
  canDrain: boolean;
  onDrain: (hostId: string, drain: boolean) => void;
  busy: boolean;
}) {
  const active = (h: HostLoad, value: number) => (h.status === "active" ? formatRate(value) : "—");
  const cols = columns<HostLoad>([
    { id: "host", header: "Host", sortBy: (h) => h.name, cell: (h) => <strong>{h.name}</strong> },
    { id: "status", header: "Status", sortBy: (h) => h.status, cell: (h) => <StatusBadge status={h.status} testId="host-load-status" /> },
    { id: "shardlets", header: "Shardlets", className: "num", sortBy: (h) => h.shardlets, cell: (h) => h.shardlets },
    { id: "load", header: "Load now", className: "num", sortBy: (h) => h.load, cell: (h) => formatRate(h.load) },
    { id: "projected", header: "After open moves", title: "Once the open migrations have landed", className: "num", sortBy: (h) => h.projectedLoad, cell: (h) => formatRate(h.projectedLoad) },
    { id: "share", header: "Share (mean)", title: "What the host would carry if every active host were equally utilised", className: "num", sortBy: (h) => h.share, cell: (h) => active(h, h.share) },
    { id: "trigger", header: "Trigger", title: "Moves start above this load", className: "num", sortBy: (h) => h.trigger, cell: (h) => active(h, h.trigger) },
    { id: "versus", header: "vs. share", sortBy: (h) => (h.status === "active" && h.share > 0 ? over(h) : null), cell: (h) => <VersusShare h={h} /> },
    canDrain && {
      id: "actions",
      header: ACTIONS_HEADER,
      cell: (h) =>
        h.status === "active" ? (
          <button type="button" className="secondary small" disabled={busy} onClick={() => onDrain(h.id, true)} data-testid="host-drain">
            Drain
          </button>
        ) : h.status === "draining" ? (
          <button type="button" className="secondary small" disabled={busy} onClick={() => onDrain(h.id, false)} data-testid="host-undrain">
            Return to service
          </button>
        ) : null,
    },
  ]);
  return (
    <DataTable
      rows={planner.hosts}
      columns={cols}
      rowKey={(h) => h.id}
      testId="host-loads"
      className="dense"
      rowProps={(h) => ({ "data-testid": "host-load-row", "data-host": h.name, "data-status": h.status, "data-load": h.load })}
      empty="No storage host registered."
    />
  );
}

/** The rebalancer's notes from its last run: what it considered and did not propose, and why. */
export function WhyNot({ planner }: { planner: Planner }) {
  return (
    <>
      <p className="muted" data-testid="planner-last-run">
        {planner.lastRunAt ? (
          <span title={formatDateTime(planner.lastRunAt)}>Last planner run {formatAgo(planner.lastRunAt)}.</span>
        ) : (
          "The planner has not run yet."
        )}{" "}
        Moves start {Math.round(planner.settings.tolerance * 100)}% above a host&apos;s share; a destination stays within{" "}
        {Math.round((planner.settings.tolerance - planner.settings.hysteresis) * 100)}%. Auto-approve is {planner.settings.autoApprove ? "on" : "off"}; migration window:{" "}
        {planner.settings.window}.
      </p>
      {planner.notes.length === 0 ? (
        <p className="empty" data-testid="planner-notes-empty">
          No notes.
        </p>
      ) : (
        <ul className={styles.notes} data-testid="planner-notes">
          {planner.notes.map((n) => (
            <li key={n.id} data-testid="planner-note">
              {n.message}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
