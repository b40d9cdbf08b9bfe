"use client";
import { useQuery } from "@tanstack/react-query";
import { ErrorNote, Loading } from "../../../components/ui.tsx";
import { formatDateTime } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import styles from "./migrations.module.css";

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
        {m.shardletLabel}: {m.sourceHostName} → {m.destHostName} · proposed by {m.proposedBy ?? m.origin}
        {m.decidedBy ? ` · decided by ${m.decidedBy}` : ""}
        {m.error ? <span className="error-text"> · {m.error}</span> : null}
      </p>
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
