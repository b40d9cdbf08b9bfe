"use client";
import { useQuery } from "@tanstack/react-query";
import { ErrorNote, FullnessBar, Loading, PageHeader, StatusBadge } from "../../../components/ui.tsx";
import { useCan } from "../../../components/user-context.tsx";
import { formatAgo, formatBytes, formatNumber } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { RegisterHostForm } from "./register-host-form.tsx";
import { SIZE_MEASURES } from "./size-measures.ts";

export function HostsView() {
  const trpc = useTRPC();
  const isAdmin = useCan("admin");
  const hosts = useQuery(trpc.hosts.list.queryOptions(undefined, { refetchInterval: 3000 }));
  return (
    <>
      <PageHeader title="Hosts" subtitle="Storage hosts: PostgreSQL databases that hold the shardlets' events." />
      <section className="card" aria-labelledby="hosts-h">
        <h2 id="hosts-h">Storage hosts</h2>
        <ErrorNote error={hosts.error} />
        {hosts.isPending ? (
          <Loading what="hosts" />
        ) : hosts.data && hosts.data.hosts.length === 0 ? (
          <p className="empty">No storage host registered yet.</p>
        ) : hosts.data ? (
          <div className="table-wrap">
            <table data-testid="hosts-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Status</th>
                  <th scope="col">DSN</th>
                  <th scope="col" className="num">
                    Shardlets
                  </th>
                  <th scope="col" className="num">
                    Events
                  </th>
                  <th scope="col" title={SIZE_MEASURES.onDisk.title}>
                    {SIZE_MEASURES.onDisk.label} / capacity
                  </th>
                  <th scope="col">Last seen</th>
                  <th scope="col">Last error</th>
                </tr>
              </thead>
              <tbody>
                {hosts.data.hosts.map((h) => (
                  <tr key={h.id} data-testid={`host-row-${h.name}`}>
                    <td>
                      <strong>{h.name}</strong>
                    </td>
                    <td>
                      <StatusBadge status={h.retiredAt ? "retired" : h.status} />
                    </td>
                    <td className="mono break" data-testid="host-dsn">
                      {h.dsn}
                    </td>
                    <td className="num">{h.shardletCount}</td>
                    <td className="num">{formatNumber(h.eventCount)}</td>
                    <td style={{ minWidth: 180 }}>
                      <div className="muted" style={{ fontSize: 12 }} data-testid="host-on-disk">
                        {formatBytes(h.sizeBytes)} / {formatBytes(h.capacityBytes)}
                      </div>
                      <FullnessBar fraction={h.capacityBytes > 0 ? h.sizeBytes / h.capacityBytes : 0} label={`${h.name} fullness`} />
                    </td>
                    <td>{formatAgo(h.lastSeenAt)}</td>
                    <td className={h.lastError ? "wrap" : undefined}>
                      {h.lastError ? <span className="badge badge-danger">{h.lastError}</span> : <span className="muted">—</span>}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : null}
      </section>
      {isAdmin ? (
        <section className="card" aria-labelledby="register-h">
          <h2 id="register-h">Register a host</h2>
          <RegisterHostForm />
        </section>
      ) : (
        <p className="muted" data-testid="hosts-admin-note">
          Only admins can register hosts.
        </p>
      )}
    </>
  );
}
