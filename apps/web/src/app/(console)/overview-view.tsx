"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { IngestChart } from "../../components/charts/ingest-chart.tsx";
import { OperationsTable } from "../../components/operations-table.tsx";
import { ErrorNote, FullnessBar, Loading, PageHeader, Stat, StatusBadge } from "../../components/ui.tsx";
import { formatAgo, formatBytes, formatNumber, formatRate } from "../../lib/format.ts";
import { useTRPC } from "../../lib/trpc.ts";
import { SIZE_MEASURES } from "./hosts/size-measures.ts";

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
              <div className="table-wrap">
                <table data-testid="overview-lag">
                  <thead>
                    <tr>
                      <th>Group</th>
                      <th>Stream</th>
                      <th>Members</th>
                      <th>Events behind</th>
                      <th>Oldest unconsumed</th>
                      <th>Checkpoints (1 h)</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.consumers.map((g) => (
                      <tr key={`${g.stream}/${g.group}`}>
                        <td>
                          <Link href={`/streams/${encodeURIComponent(g.stream)}/consumers`}>{g.group}</Link>
                        </td>
                        <td>{g.stream}</td>
                        <td>{g.members}</td>
                        <td>{g.lagEvents === null ? "—" : formatNumber(g.lagEvents)}</td>
                        <td>{g.maxLagSeconds === null ? "—" : `${g.maxLagSeconds.toFixed(1)} s`}</td>
                        <td>{g.checkpointsLastHour}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
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
              {d.hosts.length === 0 ? (
                <p className="empty">No storage host registered.</p>
              ) : (
                <div className="table-wrap">
                  <table data-testid="overview-hosts">
                    <thead>
                      <tr>
                        <th scope="col">Host</th>
                        <th scope="col">Status</th>
                        <th scope="col" title={SIZE_MEASURES.onDisk.title}>
                          {SIZE_MEASURES.onDisk.label}
                        </th>
                        <th scope="col" title={`${SIZE_MEASURES.onDisk.label} against the host's capacity.`}>
                          Fullness
                        </th>
                        <th scope="col">Last seen</th>
                      </tr>
                    </thead>
                    <tbody>
                      {d.hosts.map((h) => (
                        <tr key={h.id}>
                          <td>
                            {h.name}
                            {h.lastError ? (
                              <div className="muted" style={{ fontSize: 12 }} title={h.lastError}>
                                {h.lastError}
                              </div>
                            ) : null}
                          </td>
                          <td>
                            <StatusBadge status={h.status} />
                          </td>
                          <td>{formatBytes(h.sizeBytes)}</td>
                          <td style={{ minWidth: 130 }}>
                            <FullnessBar fraction={h.fullness} label={`${h.name} fullness`} />
                          </td>
                          <td>{formatAgo(h.lastSeenAt)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
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
