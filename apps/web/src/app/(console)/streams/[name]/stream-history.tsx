"use client";
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { columns } from "../../../../components/data-table-columns.tsx";
import { DataTable } from "../../../../components/data-table.tsx";
import { ErrorNote, Stat } from "../../../../components/ui.tsx";
import { formatBytes, formatDateTime, formatDuration, formatNumber, formatTimeLeft, plural } from "../../../../lib/format.ts";
import { useTRPC } from "../../../../lib/trpc.ts";

type Sealed = inferRouterOutputs<AppRouter>["streams"]["history"]["sealed"][number];

const COLUMNS = columns<Sealed>([
  { id: "range", header: "Hash range", td: (s) => ({ className: "mono", title: s.id }), sortBy: (s) => s.range.lo, cell: (s) => `${s.range.loHex}–${s.range.lastHex}` },
  { id: "host", header: "Host", sortBy: (s) => s.hostName, cell: (s) => s.hostName },
  { id: "events", header: "Events", className: "num", sortBy: (s) => s.eventCount, cell: (s) => formatNumber(s.eventCount) },
  { id: "size", header: "Size", className: "num", sortBy: (s) => s.sizeBytes, cell: (s) => formatBytes(s.sizeBytes) },
  { id: "sealed", header: "Sealed", sortBy: (s) => s.sealedAt, cell: (s) => formatDateTime(s.sealedAt) },
  {
    id: "expires",
    header: "Expires",
    sortBy: (s) => s.expiresAt,
    cell: (s) => (
      <>
        {formatDateTime(s.expiresAt)}
        <span className="lineage">{formatTimeLeft(s.expiresAt)}</span>
      </>
    ),
  },
]);

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
          {d.sealed.length > 0 ? (
            <p className="muted" style={{ margin: "0 0 8px" }} data-testid="stream-history-hosts">
              Kept on {d.hosts.map((h) => `${h.hostName} (${formatBytes(h.sizeBytes)} in ${plural(h.shardlets, "shardlet")}, until ${formatDateTime(h.lastExpiresAt)})`).join(", ")}.
            </p>
          ) : null}
          <DataTable
            rows={d.sealed}
            columns={COLUMNS}
            rowKey={(s) => s.id}
            testId="stream-sealed-table"
            rowProps={(s) => ({ className: "sealed", "data-testid": "stream-sealed-row", "data-id": s.id, "data-host": s.hostName })}
            empty="No sealed history: every event of the stream lies on its live shardlets' hosts."
            emptyProps={{ "data-testid": "stream-history-empty" }}
          />
        </>
      ) : null}
    </section>
  );
}
