"use client";
import { useQuery } from "@tanstack/react-query";
import { columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
import { ErrorNote, FullnessBar, Loading, PageHeader, StatusBadge } from "../../../components/ui.tsx";
import { useCan } from "../../../components/user-context.tsx";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { formatAgo, formatBytes, formatDateTime, formatNumber, formatTimeLeft, plural } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { CapacityOverrideForm } from "./capacity-override-form.tsx";
import { RegisterHostForm } from "./register-host-form.tsx";
import { SIZE_MEASURES } from "./size-measures.ts";

type HostRow = inferRouterOutputs<AppRouter>["hosts"]["list"]["hosts"][number];

/** Sealed history a host holds (what hand-offs left on it): how much and until when. */
function HistoryCell({ h }: { h: HostRow }) {
  if (!h.history) return <span className="muted">—</span>;
  return (
    <span
      title={`${plural(h.history.eventCount, "event")} in ${plural(h.history.shardlets, "sealed shardlet")}, readable until the streams' retention drops them; the first expires ${formatDateTime(h.history.firstExpiresAt)}`}
      data-testid="host-history"
      data-shardlets={h.history.shardlets}
    >
      {formatBytes(h.history.sizeBytes)} in {plural(h.history.shardlets, "sealed shardlet")}
      <span className="lineage">last expires {formatDateTime(h.history.lastExpiresAt)}</span>
    </span>
  );
}

/**
 * What a draining host does with that history: wait for it to expire (how much is left and the
 * time until the last of it goes) or copy it off (how many copies remain).
 */
function DrainHistory({ h }: { h: HostRow }) {
  if (!h.drainHistory) return null;
  const left = h.history;
  return (
    <span className="lineage" data-testid="host-drain-history" data-choice={h.drainHistory}>
      {h.drainHistory === "expire" ? (
        left ? (
          <span title={`The drain lets hand-offs' history expire; the host can be retired once the last of it has, ${formatDateTime(left.lastExpiresAt)}.`}>
            history expires here: {formatBytes(left.sizeBytes)} left, the last {formatTimeLeft(left.lastExpiresAt)}
          </span>
        ) : (
          "history expires here: none left"
        )
      ) : left ? (
        <span title="The drain copies hand-offs' history to other hosts; the host can be retired once the copies are done.">
          history copied off: {plural(left.shardlets, "copy", "copies")} left ({formatBytes(left.sizeBytes)}
          {h.historyCopiesOpen > 0 ? `, ${formatNumber(h.historyCopiesOpen)} under way` : ""})
        </span>
      ) : (
        "history copied off: no copy left"
      )}
    </span>
  );
}

const SOURCE_LABEL: Record<HostRow["capacitySource"], string> = { override: "override", measured: "measured", configured: "configured" };

/** The events/s the host is planned on, which figure that is, and the other two beside it. */
function CapacityCell({ h }: { h: HostRow }) {
  const measured = h.measuredCapacityEventsPerSec === null ? "—" : formatNumber(Math.round(h.measuredCapacityEventsPerSec));
  return (
    <span data-testid="host-capacity" data-source={h.capacitySource} title={h.measuredCapacityNote ?? "not measured yet"}>
      <strong>{formatNumber(Math.round(h.effectiveCapacityEventsPerSec))}</strong> <span className="badge">{SOURCE_LABEL[h.capacitySource]}</span>
      <span className="lineage">
        configured {formatNumber(h.capacityEventsPerSec)} · measured {measured}
        {h.capacityOverrideEventsPerSec !== null ? ` · override ${formatNumber(h.capacityOverrideEventsPerSec)}` : ""}
      </span>
    </span>
  );
}

const COLUMNS = columns<HostRow>([
  { id: "name", header: "Name", sortBy: (h) => h.name, cell: (h) => <strong>{h.name}</strong> },
  {
    id: "status",
    header: "Status",
    sortBy: (h) => (h.retiredAt ? "retired" : h.status),
    cell: (h) => (
      <>
        <StatusBadge status={h.retiredAt ? "retired" : h.status} />
        <DrainHistory h={h} />
      </>
    ),
  },
  { id: "dsn", header: "DSN", td: { className: "mono break", "data-testid": "host-dsn" }, cell: (h) => h.dsn },
  {
    id: "capacity",
    header: "Events/s capacity",
    title: "What the analyzer and the capacity plan use: an admin's override, else what the host served before its writers' latency rose, else the configured figure",
    sortBy: (h) => h.effectiveCapacityEventsPerSec,
    cell: (h) => <CapacityCell h={h} />,
  },
  { id: "shardlets", header: "Shardlets", className: "num", sortBy: (h) => h.shardletCount, cell: (h) => h.shardletCount },
  { id: "events", header: "Events", className: "num", sortBy: (h) => h.eventCount, cell: (h) => formatNumber(h.eventCount) },
  {
    id: "onDisk",
    header: `${SIZE_MEASURES.onDisk.label} / capacity`,
    title: SIZE_MEASURES.onDisk.title,
    td: { style: { minWidth: 180 } },
    sortBy: (h) => (h.capacityBytes > 0 ? h.sizeBytes / h.capacityBytes : 0),
    cell: (h) => (
      <>
        <div className="muted" style={{ fontSize: 12 }} data-testid="host-on-disk">
          {formatBytes(h.sizeBytes)} / {formatBytes(h.capacityBytes)}
        </div>
        <FullnessBar fraction={h.capacityBytes > 0 ? h.sizeBytes / h.capacityBytes : 0} label={`${h.name} fullness`} />
      </>
    ),
  },
  {
    id: "history",
    header: "Sealed history",
    title: "History hand-offs left on the host: sealed, read-only, kept until the streams' retention drops it",
    sortBy: (h) => h.history?.sizeBytes ?? 0,
    cell: (h) => <HistoryCell h={h} />,
  },
  { id: "lastSeen", header: "Last seen", sortBy: (h) => h.lastSeenAt, cell: (h) => formatAgo(h.lastSeenAt) },
  {
    id: "lastError",
    header: "Last error",
    sortBy: (h) => h.lastError,
    td: (h) => ({ className: h.lastError ? "wrap" : undefined }),
    cell: (h) => (h.lastError ? <span className="badge badge-danger">{h.lastError}</span> : <span className="muted">—</span>),
  },
]);

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
        ) : hosts.data ? (
          <DataTable rows={hosts.data.hosts} columns={COLUMNS} rowKey={(h) => h.id} testId="hosts-table" rowProps={(h) => ({ "data-testid": `host-row-${h.name}` })} empty="No storage host registered yet." />
        ) : null}
      </section>
      {isAdmin && hosts.data && hosts.data.hosts.length > 0 ? (
        <section className="card" aria-labelledby="override-h">
          <h2 id="override-h">Capacity override</h2>
          <CapacityOverrideForm hosts={hosts.data.hosts.filter((h) => !h.retiredAt)} />
        </section>
      ) : null}
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
