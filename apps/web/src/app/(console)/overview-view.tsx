"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { IngestChart } from "../../components/charts/ingest-chart.tsx";
import { columns } from "../../components/data-table-columns.tsx";
import { DataTable } from "../../components/data-table.tsx";
import { OperationsTable } from "../../components/operations-table.tsx";
import { ErrorNote, FullnessBar, Loading, PageHeader, Stat, StatusBadge } from "../../components/ui.tsx";
import { formatAgo, formatBytes, formatNumber, formatRate } from "../../lib/format.ts";
import { useTRPC } from "../../lib/trpc.ts";
import { SIZE_MEASURES } from "./hosts/size-measures.ts";

type Summary = inferRouterOutputs<AppRouter>["overview"]["summary"];
type LagRow = Summary["consumers"][number];
type HostRow = Summary["hosts"][number];

const LAG_COLUMNS = columns<LagRow>([
  { id: "group", header: "Group", sortBy: (g) => g.group, cell: (g) => <Link href={`/streams/${encodeURIComponent(g.stream)}/consumers`}>{g.group}</Link> },
  { id: "stream", header: "Stream", sortBy: (g) => g.stream, cell: (g) => g.stream },
  { id: "members", header: "Members", sortBy: (g) => g.members, cell: (g) => g.members },
  { id: "behind", header: "Events behind", sortBy: (g) => g.lagEvents, cell: (g) => (g.lagEvents === null ? "—" : formatNumber(g.lagEvents)) },
  { id: "oldest", header: "Oldest unconsumed", sortBy: (g) => g.maxLagSeconds, cell: (g) => (g.maxLagSeconds === null ? "—" : `${g.maxLagSeconds.toFixed(1)} s`) },
  { id: "checkpoints", header: "Checkpoints (1 h)", sortBy: (g) => g.checkpointsLastHour, cell: (g) => g.checkpointsLastHour },
]);

const HOST_COLUMNS = columns<HostRow>([
  {
    id: "host",
    header: "Host",
    sortBy: (h) => h.name,
    cell: (h) => (
      <>
        {h.name}
        {h.lastError ? (
          <div className="muted" style={{ fontSize: 12 }} title={h.lastError}>
            {h.lastError}
          </div>
        ) : null}
      </>
    ),
  },
  { id: "status", header: "Status", sortBy: (h) => h.status, cell: (h) => <StatusBadge status={h.status} /> },
  { id: "onDisk", header: SIZE_MEASURES.onDisk.label, title: SIZE_MEASURES.onDisk.title, sortBy: (h) => h.sizeBytes, cell: (h) => formatBytes(h.sizeBytes) },
  {
    id: "fullness",
    header: "Fullness",
    title: `${SIZE_MEASURES.onDisk.label} against the host's capacity.`,
    td: { style: { minWidth: 130 } },
    sortBy: (h) => h.fullness,
    cell: (h) => <FullnessBar fraction={h.fullness} label={`${h.name} fullness`} />,
  },
  { id: "lastSeen", header: "Last seen", sortBy: (h) => h.lastSeenAt, cell: (h) => formatAgo(h.lastSeenAt) },
]);

export function OverviewView() {
  const trpc = useTRPC();
  const summary = useQuery(trpc.overview.summary.queryOptions({ windowMinutes: 30 }, { refetchInterval: 2500 }));
  const d = summary.data;
  return (
    <>
      <PageHeader title="Overview" subtitle="Ingest, storage hosts and recent operations. Refreshes every few seconds." />
      <ErrorNote error={summary.error} />
      {!d ? (
        summary.isPending ? <Loading what="overview" /> : null
      ) : (
        <>
          <section aria-label="Alerts" data-testid="alerts">
            {d.alerts.length === 0 ? (
              <div className="alert alert-ok" data-testid="no-alerts">
                All hosts are up. No alerts.
              </div>
            ) : (
              d.alerts.map((a, i) => (
                <div key={i} className={`alert alert-${a.level}`} role={a.level === "error" ? "alert" : undefined} data-testid="alert">
                  {a.message}
                </div>
              ))
            )}
          </section>
          <div className="stats">
            <Stat label="Ingest rate" value={d.currentRate === null ? "—" : formatRate(d.currentRate)} testId="stat-rate" />
            <Stat label="Events stored" value={formatNumber(d.totals.events)} testId="stat-events" />
            <div title={SIZE_MEASURES.eventData.title} style={{ display: "grid" }}>
              <Stat label={SIZE_MEASURES.eventData.label} value={formatBytes(d.totals.bytes)} testId="stat-bytes" />
            </div>
            <Stat label="Streams" value={formatNumber(d.totals.streams)} testId="stat-streams" />
            <Stat label="Shardlets" value={formatNumber(d.totals.shardlets)} testId="stat-shardlets" />
            <Stat
              label="Hosts"
              value={d.totals.hostsDown > 0 ? `${d.totals.hosts - d.totals.hostsDown}/${d.totals.hosts} up` : formatNumber(d.totals.hosts)}
              testId="stat-hosts"
            />
          </div>
          <div className="stats" aria-label="Shardlet lifecycle, last hour" role="group">
            <Stat label="Splits in the last hour" value={formatNumber(d.lifecycle.splitsLastHour)} testId="stat-splits" />
            <Stat label="Merges in the last hour" value={formatNumber(d.lifecycle.mergesLastHour)} testId="stat-merges" />
            <Stat
              label="Contention in the last hour (events through overflow logs)"
              value={formatNumber(d.lifecycle.contentionLastHour)}
              testId="stat-contention"
            />
          </div>
          {d.consumers.length > 0 ? (
            <section className="card" aria-labelledby="lag-h">
              <h2 id="lag-h">Consumer lag</h2>
              <DataTable rows={d.consumers} columns={LAG_COLUMNS} rowKey={(g) => `${g.stream}/${g.group}`} testId="overview-lag" empty="No consumer group reads a stream." />
            </section>
          ) : null}
          <section className="card" aria-labelledby="ingest-h">
            <h2 id="ingest-h">Ingest rate (events/s, last 30 min)</h2>
            <IngestChart points={d.ingest} />
          </section>
          <div className="grid grid-2">
            <section className="card" aria-labelledby="hosts-h">
              <div className="card-header">
                <h2 id="hosts-h">Hosts</h2>
                <Link href="/hosts">All hosts</Link>
              </div>
              <DataTable rows={d.hosts} columns={HOST_COLUMNS} rowKey={(h) => h.id} testId="overview-hosts" empty="No storage host registered." />
            </section>
            <section className="card" aria-labelledby="ops-h">
              <div className="card-header">
                <h2 id="ops-h">Recent operations</h2>
                <Link href="/operations">All operations</Link>
              </div>
              <OperationsTable operations={d.operations} testId="overview-operations" compact />
            </section>
          </div>
        </>
      )}
    </>
  );
}
