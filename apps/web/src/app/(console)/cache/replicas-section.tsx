"use client";
import { useQuery } from "@tanstack/react-query";
import { columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
import { ErrorNote, Loading, Stat } from "../../../components/ui.tsx";
import { formatAgo, formatBytes, formatDateTime, formatDuration, formatNumber } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { ShardletLabel } from "./edge-table.tsx";
import type { ReplicasData } from "./types.ts";

type Replica = ReplicasData["replicas"][number];

function ReplicaState({ r }: { r: Replica }) {
  if (r.state === "dropping") {
    return (
      <span className="badge badge-warn" title="No longer routed to readers; its rows are being deleted.">
        dropping
      </span>
    );
  }
  // A ready replica verified at 0 is routed to nobody yet: readers only use it up to that position.
  return r.verifiedSeq > 0 ? (
    <span className="badge badge-ok">ready</span>
  ) : (
    <span className="badge" title="Made, not yet filled by the sync job: no reader is sent to it until it is verified past their position.">
      syncing
    </span>
  );
}

const replicaColumns = (served: boolean, showStream: boolean) =>
  columns<Replica>([
    showStream && { id: "stream", header: "Stream", sortBy: (r) => r.streamName, cell: (r) => r.streamName },
    { id: "shardlet", header: "Shardlet", sortBy: (r) => r.range.lo, cell: (r) => <ShardletLabel id={r.shardletId} range={r.range} /> },
    { id: "host", header: "Replica host", td: { "data-testid": "replica-host" }, sortBy: (r) => r.hostName, cell: (r) => r.hostName },
    { id: "source", header: "Copied from", td: { "data-testid": "replica-source" }, sortBy: (r) => r.sourceHostName, cell: (r) => r.sourceHostName },
    { id: "state", header: "State", sortBy: (r) => r.state, cell: (r) => <ReplicaState r={r} /> },
    {
      id: "verified",
      header: "Verified to",
      title: "Readers are sent to the replica only for positions up to this one",
      className: "num",
      td: (r) => ({ className: "mono", title: `synced ${formatAgo(r.updatedAt)}` }),
      sortBy: (r) => r.verifiedSeq,
      cell: (r) => (r.verifiedSeq > 0 ? r.verifiedSeq : "—"),
    },
    {
      id: "copied",
      header: "Copied",
      title: "Events and payload bytes copied to the replica",
      className: "num",
      td: { className: "nowrap" },
      sortBy: (r) => r.bytes,
      cell: (r) => `${formatNumber(r.events)} · ${formatBytes(r.bytes)}`,
    },
    {
      id: "served",
      header: "Served",
      title: "Events the replica served to consumers, all edges",
      className: "num",
      td: { "data-testid": "replica-served" },
      sortBy: (r) => (served ? r.served : null),
      cell: (r) => (served && r.served !== null ? formatNumber(r.served) : "—"),
    },
    { id: "reason", header: "Reason", td: { className: "wrap" }, sortBy: (r) => r.reason, cell: (r) => r.reason },
    { id: "age", header: "Age", td: (r) => ({ className: "nowrap", title: `made ${formatDateTime(r.createdAt)}` }), sortBy: (r) => r.ageSec, cell: (r) => formatDuration(r.ageSec * 1000) },
  ]);

function EmptyNote({ d, stream }: { d: ReplicasData; stream: string }) {
  return (
    <>
      <p style={{ margin: 0 }}>No read replica{stream ? ` of ${stream}` : ""} yet.</p>
      <p className="muted" style={{ margin: "6px 0 0", fontSize: 12 }}>
        A read replica is a copy of a shardlet&apos;s key-hash range on another storage host, kept in sync every few seconds; consumers&apos; range reads are spread
        over the shardlet&apos;s host and its replicas. The placement job makes one for a hot shardlet that consumers read, when there are at least two hosts
        {d.hosts < 2 ? ` (${d.hosts === 0 ? "no host is" : "one host is"} registered now)` : ""}, and drops it when the shardlet moves, splits or merges.
      </p>
    </>
  );
}

/**
 * Read replicas: which shardlets are copied to which host, how far each copy is verified (readers
 * are sent there only up to that position) and how many events it served, which is what the
 * placement job rewards a replication with.
 */
export function ReplicasSection({ stream }: { stream: string }) {
  const trpc = useTRPC();
  const q = useQuery(
    trpc.cache.replicas.queryOptions(stream ? { stream } : {}, {
      refetchInterval: 10_000,
      placeholderData: (prev) => ((prev?.stream?.name ?? "") === stream ? prev : undefined),
    }),
  );
  const d = q.data;
  const ready = d?.replicas.filter((r) => r.state === "ready") ?? [];
  return (
    <section className="card" aria-labelledby="replicas-h" data-testid="replicas-section">
      <div className="card-header">
        <h2 id="replicas-h">Read replicas</h2>
        <span className="muted">{stream ? `${stream}; ` : ""}synced every 2 seconds, made and dropped by the placement job</span>
      </div>
      <ErrorNote error={q.error} testId="replicas-error" />
      {!d ? (
        q.isPending ? <Loading what="read replicas" /> : null
      ) : (
        <>
          {d.servedError ? (
            <div className="alert alert-warning" role="status" data-testid="replicas-served-error">
              {d.servedError}
            </div>
          ) : null}
          {d.replicas.length > 0 ? (
            <div className="stats" role="group" aria-label="Read replicas">
              <Stat label="Replicas (ready)" value={`${formatNumber(d.replicas.length)} (${formatNumber(ready.length)})`} testId="replicas-count" />
              <Stat label="Shardlets replicated" value={formatNumber(new Set(ready.map((r) => r.shardletId)).size)} testId="replicas-shardlets" />
              <Stat label="Copied" value={formatBytes(d.replicas.reduce((n, r) => n + r.bytes, 0))} testId="replicas-bytes" />
              <Stat label="Events served" value={d.servedError ? "—" : formatNumber(d.replicas.reduce((n, r) => n + (r.served ?? 0), 0))} testId="replicas-served" />
            </div>
          ) : null}
          {/* One stream picked: its name on every row says nothing, and the reason gets the room. */}
          <DataTable
            rows={d.replicas}
            columns={replicaColumns(d.servedError === null, !stream)}
            rowKey={(r) => r.id}
            testId="replicas-table"
            className="dense"
            rowProps={(r) => ({
              "data-testid": "replica-row",
              "data-id": r.id,
              "data-stream": r.streamName,
              "data-shardlet": r.shardletId,
              "data-host": r.hostName,
              "data-state": r.state,
              "data-served": r.served ?? "",
            })}
            empty={<EmptyNote d={d} stream={stream} />}
            emptyProps={{ "data-testid": "replicas-empty", "data-reason": d.hosts < 2 ? "one-host" : "none" }}
          />
        </>
      )}
    </section>
  );
}
