"use client";
import { useQuery } from "@tanstack/react-query";
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

function ReplicasTable({ replicas, served, showStream }: { replicas: readonly Replica[]; served: boolean; showStream: boolean }) {
  return (
    <div className="table-wrap">
      <table className="dense" data-testid="replicas-table">
        <thead>
          <tr>
            {showStream ? <th scope="col">Stream</th> : null}
            <th scope="col">Shardlet</th>
            <th scope="col">Replica host</th>
            <th scope="col">Copied from</th>
            <th scope="col">State</th>
            <th scope="col" className="num" title="Readers are sent to the replica only for positions up to this one">
              Verified to
            </th>
            <th scope="col" className="num" title="Events and payload bytes copied to the replica">
              Copied
            </th>
            <th scope="col" className="num" title="Events the replica served to consumers, all edges">
              Served
            </th>
            <th scope="col">Reason</th>
            <th scope="col">Age</th>
          </tr>
        </thead>
        <tbody>
          {replicas.map((r) => (
            <tr
              key={r.id}
              data-testid="replica-row"
              data-id={r.id}
              data-stream={r.streamName}
              data-shardlet={r.shardletId}
              data-host={r.hostName}
              data-state={r.state}
              data-served={r.served ?? ""}
            >
              {showStream ? <td>{r.streamName}</td> : null}
              <td>
                <ShardletLabel id={r.shardletId} range={r.range} />
              </td>
              <td data-testid="replica-host">{r.hostName}</td>
              <td data-testid="replica-source">{r.sourceHostName}</td>
              <td>
                <ReplicaState r={r} />
              </td>
              <td className="num mono" title={`synced ${formatAgo(r.updatedAt)}`}>
                {r.verifiedSeq > 0 ? r.verifiedSeq : "—"}
              </td>
              <td className="num nowrap">
                {formatNumber(r.events)} · {formatBytes(r.bytes)}
              </td>
              <td className="num" data-testid="replica-served">
                {served && r.served !== null ? formatNumber(r.served) : "—"}
              </td>
              <td className="wrap">{r.reason}</td>
              <td className="nowrap" title={`made ${formatDateTime(r.createdAt)}`}>
                {formatDuration(r.ageSec * 1000)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Empty({ d, stream }: { d: ReplicasData; stream: string }) {
  return (
    <div className="empty" data-testid="replicas-empty" data-reason={d.hosts < 2 ? "one-host" : "none"}>
      <p style={{ margin: 0 }}>No read replica{stream ? ` of ${stream}` : ""} yet.</p>
      <p className="muted" style={{ margin: "6px 0 0", fontSize: 12 }}>
        A read replica is a copy of a shardlet&apos;s key-hash range on another storage host, kept in sync every few seconds; consumers&apos; range reads are spread
        over the shardlet&apos;s host and its replicas. The placement job makes one for a hot shardlet that consumers read, when there are at least two hosts
        {d.hosts < 2 ? ` (${d.hosts === 0 ? "no host is" : "one host is"} registered now)` : ""}, and drops it when the shardlet moves, splits or merges.
      </p>
    </div>
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
          {d.replicas.length === 0 ? (
            <Empty d={d} stream={stream} />
          ) : (
            <>
              <div className="stats" role="group" aria-label="Read replicas">
                <Stat label="Replicas (ready)" value={`${formatNumber(d.replicas.length)} (${formatNumber(ready.length)})`} testId="replicas-count" />
                <Stat label="Shardlets replicated" value={formatNumber(new Set(ready.map((r) => r.shardletId)).size)} testId="replicas-shardlets" />
                <Stat label="Copied" value={formatBytes(d.replicas.reduce((n, r) => n + r.bytes, 0))} testId="replicas-bytes" />
                <Stat
                  label="Events served"
                  value={d.servedError ? "—" : formatNumber(d.replicas.reduce((n, r) => n + (r.served ?? 0), 0))}
                  testId="replicas-served"
                />
              </div>
              {/* One stream picked: its name on every row says nothing, and the reason gets the room. */}
              <ReplicasTable replicas={d.replicas} served={d.servedError === null} showStream={!stream} />
            </>
          )}
        </>
      )}
    </section>
  );
}
