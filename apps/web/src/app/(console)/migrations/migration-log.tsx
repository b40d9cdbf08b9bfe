"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ErrorNote, Loading } from "../../../components/ui.tsx";
import { formatBytes, formatDateTime, formatTimeLeft, plural } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { ModeBadge } from "./mode-badge.tsx";
import styles from "./migrations.module.css";
import type { MigrationDetail } from "./types.ts";

/** Which migration's log a table has open under its row: one at a time. */
export function useOpenLog() {
  const [open, setOpen] = useState<string | null>(null);
  return { isOpen: (id: string) => open === id, toggle: (id: string) => setOpen((was) => (was === id ? null : id)) };
}

/** The link that opens and closes a migration's log; `lowerCase` where it continues a sentence. */
export function LogToggle({ open, onToggle, lowerCase = false }: { open: boolean; onToggle: () => void; lowerCase?: boolean }) {
  const label = open ? "Hide log" : "Log";
  return (
    <button type="button" className="link" onClick={onToggle} aria-expanded={open} data-testid="migration-log-toggle">
      {lowerCase ? label.toLowerCase() : label}
    </button>
  );
}

/** What a hand-off does with the history: nothing is copied, it stays on the source until it expires. */
function HandoffNote({ m }: { m: MigrationDetail }) {
  if (m.mode !== "handoff") return null;
  const ended = m.phase === "failed" || m.phase === "cancelled" || m.phase === "rejected";
  return (
    <p className="muted" style={{ margin: "0 0 8px" }} data-testid="migration-handoff-note">
      Hand-off: no row is copied.{" "}
      {m.history ? (
        <>
          {m.destHostName} took the shardlet&apos;s writes; its history ({plural(m.history.eventCount, "event")}, {formatBytes(m.history.sizeBytes)}) stays sealed and
          readable on {m.history.hostName} until{" "}
          <span title={`sealed ${formatDateTime(m.history.sealedAt)}`} data-testid="migration-history-until">
            {formatDateTime(m.history.expiresAt)} ({formatTimeLeft(m.history.expiresAt)})
          </span>
          .
        </>
      ) : m.phase === "done" ? (
        <>
          {m.destHostName} took the shardlet&apos;s writes; the history it left on {m.sourceHostName} has expired since.
        </>
      ) : ended ? (
        <>The shardlet stayed on {m.sourceHostName}.</>
      ) : (
        <>
          {m.destHostName} takes the shardlet&apos;s writes; its history stays readable on {m.sourceHostName} until the stream&apos;s retention drops it.
        </>
      )}
    </p>
  );
}

/** A migration's event log, oldest first; refreshed while the migration is still open. */
export function MigrationLog({ id, live }: { id: string; live: boolean }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.migrations.get.queryOptions({ id }, { refetchInterval: live ? 1500 : false }));
  if (detail.error) return <ErrorNote error={detail.error} />;
  if (detail.isPending) return <Loading what="event log" />;
  const m = detail.data;
  return (
    <div data-testid="migration-log" data-id={id} style={{ whiteSpace: "normal" }}>
      <p className="muted" style={{ margin: "4px 0 8px" }}>
        <ModeBadge mode={m.mode} /> {m.shardletLabel}: {m.sourceHostName} → {m.destHostName} · proposed by {m.proposedBy ?? m.origin}
        {m.decidedBy ? ` · decided by ${m.decidedBy}` : ""}
        {m.error ? <span className="error-text"> · {m.error}</span> : null}
      </p>
      <HandoffNote m={m} />
      {m.events.length === 0 ? (
        <p className="empty">No events yet.</p>
      ) : (
        <ol className={styles.log}>
          {m.events.map((e) => (
            <li key={e.id} data-level={e.level} data-testid="migration-event" data-phase={e.phase}>
              <span className="muted">{formatDateTime(e.at)}</span>
              <span>
                <code>{e.phase}</code>
              </span>
              <span>{e.message}</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
