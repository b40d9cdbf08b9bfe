"use client";
import { ActionsHeader, StatusBadge } from "../../../components/ui.tsx";
import { formatAgo, formatDateTime, formatPct, formatRate } from "../../../lib/format.ts";
import styles from "./migrations.module.css";
import type { Planner } from "./types.ts";

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
  return (
    <div className="table-wrap">
      <table className="dense" data-testid="host-loads">
        <thead>
          <tr>
            <th scope="col">Host</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Shardlets
            </th>
            <th scope="col" className="num">
              Load now
            </th>
            <th scope="col" className="num" title="Once the open migrations have landed">
              After open moves
            </th>
            <th scope="col" className="num" title="What the host would carry if every active host were equally utilised">
              Share (mean)
            </th>
            <th scope="col" className="num" title="Moves start above this load">
              Trigger
            </th>
            <th scope="col">vs. share</th>
            {canDrain ? <ActionsHeader /> : null}
          </tr>
        </thead>
        <tbody>
          {planner.hosts.map((h) => {
            const over = h.share > 0 ? h.load / h.share - 1 : 0;
            const hot = h.status === "active" && h.load > h.trigger && h.trigger > 0;
            return (
              <tr key={h.id} data-testid="host-load-row" data-host={h.name} data-status={h.status} data-load={h.load}>
                <td>
                  <strong>{h.name}</strong>
                </td>
                <td>
                  <StatusBadge status={h.status} testId="host-load-status" />
                </td>
                <td className="num">{h.shardlets}</td>
                <td className="num">{formatRate(h.load)}</td>
                <td className="num">{formatRate(h.projectedLoad)}</td>
                <td className="num">{h.status === "active" ? formatRate(h.share) : "—"}</td>
                <td className="num">{h.status === "active" ? formatRate(h.trigger) : "—"}</td>
                <td>
                  {h.status === "active" && h.share > 0 ? (
                    <span className={`badge ${hot ? "badge-danger" : over > 0 ? "badge-warn" : "badge-ok"}`}>
                      {over >= 0 ? "+" : ""}
                      {formatPct(over)}
                    </span>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                {canDrain ? (
                  <td>
                    {h.status === "active" ? (
                      <button type="button" className="secondary small" disabled={busy} onClick={() => onDrain(h.id, true)} data-testid="host-drain">
                        Drain
                      </button>
                    ) : h.status === "draining" ? (
                      <button type="button" className="secondary small" disabled={busy} onClick={() => onDrain(h.id, false)} data-testid="host-undrain">
                        Return to service
                      </button>
                    ) : null}
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
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
