"use client";
import { useQuery } from "@tanstack/react-query";
import { ErrorNote, Stat } from "../../../../components/ui.tsx";
import { formatBytes, formatDateTime, formatDuration, formatNumber, formatTimeLeft, plural } from "../../../../lib/format.ts";
import { useTRPC } from "../../../../lib/trpc.ts";

/**
 * The stream's sealed history: what hand-offs left on the hosts that wrote it, readable there
 * (reads by key, position and range include it) until the stream's retention has passed since each
 * seal, with how much there is, where, and until when.
 */
export function StreamHistory({ name }: { name: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.streams.history.queryOptions({ name }, { refetchInterval: 5000 }));
  const d = q.data;
  return (
    <section className="card" aria-labelledby="history-h" data-testid="stream-history">
      <div className="card-header">
        <h2 id="history-h">Sealed history</h2>
        <span className="muted">what hand-offs left where it was written, kept until retention drops it</span>
      </div>
      <ErrorNote error={q.error} testId="stream-history-error" />
      {d ? (
        <>
          <div className="stats" role="group" aria-label="Sealed history">
            <Stat label="Retention" value={formatDuration(d.retentionHours * 3_600_000)} testId="stream-history-retention" />
            <Stat label="Sealed shardlets" value={formatNumber(d.totals?.shardlets ?? 0)} testId="stream-history-shardlets" />
            <Stat label="History kept" value={d.totals ? formatBytes(d.totals.sizeBytes) : "none"} testId="stream-history-bytes" />
            <Stat label="Events in it" value={formatNumber(d.totals?.eventCount ?? 0)} testId="stream-history-events" />
            <Stat label="The last of it expires" value={d.totals ? formatTimeLeft(d.totals.lastExpiresAt) : "—"} testId="stream-history-until" />
          </div>
          {d.sealed.length === 0 ? (
            <p className="empty" data-testid="stream-history-empty">
              No sealed history: every event of the stream lies on its live shardlets&apos; hosts.
            </p>
          ) : (
            <>
              <p className="muted" style={{ margin: "0 0 8px" }} data-testid="stream-history-hosts">
                Kept on {d.hosts.map((h) => `${h.hostName} (${formatBytes(h.sizeBytes)} in ${plural(h.shardlets, "shardlet")}, until ${formatDateTime(h.lastExpiresAt)})`).join(", ")}.
              </p>
              <div className="table-wrap">
                <table data-testid="stream-sealed-table">
                  <thead>
                    <tr>
                      <th scope="col">Hash range</th>
                      <th scope="col">Host</th>
                      <th scope="col" className="num">
                        Events
                      </th>
                      <th scope="col" className="num">
                        Size
                      </th>
                      <th scope="col">Sealed</th>
                      <th scope="col">Expires</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.sealed.map((s) => (
                      <tr key={s.id} className="sealed" data-testid="stream-sealed-row" data-id={s.id} data-host={s.hostName}>
                        <td className="mono" title={s.id}>
                          {s.range.loHex}–{s.range.lastHex}
                        </td>
                        <td>{s.hostName}</td>
                        <td className="num">{formatNumber(s.eventCount)}</td>
                        <td className="num">{formatBytes(s.sizeBytes)}</td>
                        <td>{formatDateTime(s.sealedAt)}</td>
                        <td>
                          {formatDateTime(s.expiresAt)}
                          <span className="lineage">{formatTimeLeft(s.expiresAt)}</span>
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </>
          )}
        </>
      ) : null}
    </section>
  );
}
