"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { columns } from "../../../../components/data-table-columns.tsx";
import { DataTable } from "../../../../components/data-table.tsx";
import { CopyButton, ErrorNote, FullnessBar, Loading, PageHeader, RangeBar, StatusBadge } from "../../../../components/ui.tsx";
import { formatBytes, formatDateTime, formatNumber, plural } from "../../../../lib/format.ts";
import { useTRPC } from "../../../../lib/trpc.ts";
import { StreamHistory } from "./stream-history.tsx";
import { StreamTelemetry } from "./stream-telemetry.tsx";

function curlExample(edgeUrl: string, stream: string, keyField: string): string {
  const base = edgeUrl.replace(/\/+$/, "");
  const body = JSON.stringify({
    events: [
      { key: "user-42", type: "page_view", payload: { path: "/home" } },
      { type: "click", payload: { [keyField]: "user-7", button: "buy" } },
    ],
  });
  return [
    `curl -X POST '${base}/v1/streams/${stream}/events' \\`,
    `  -H "Authorization: Bearer $SHARDCAST_API_KEY" \\`,
    `  -H 'Content-Type: application/json' \\`,
    `  -d '${body}'`,
  ].join("\n");
}

type StreamDetail = inferRouterOutputs<AppRouter>["streams"]["get"];
type RecentEvent = StreamDetail["recentEvents"][number];
type Shard = StreamDetail["shards"][number];
type StreamShardlet = StreamDetail["shardlets"][number];

const EVENT_COLUMNS = columns<RecentEvent>([
  { id: "seq", header: "Seq", className: "num", td: { className: "mono" }, sortBy: (e) => e.seq, cell: (e) => e.seq },
  { id: "key", header: "Key", td: { className: "mono", "data-testid": "event-key" }, sortBy: (e) => e.key, cell: (e) => e.key },
  { id: "type", header: "Type", sortBy: (e) => e.type, cell: (e) => e.type ?? <span className="muted">—</span> },
  { id: "id", header: "Id", td: { className: "mono" }, sortBy: (e) => e.id, cell: (e) => e.id ?? <span className="muted">—</span> },
  { id: "time", header: "Time", sortBy: (e) => e.ts, cell: (e) => formatDateTime(e.ts) },
  { id: "payload", header: "Payload", td: (e) => ({ className: "payload mono", title: e.payload }), cell: (e) => e.payload },
]);

const SHARD_COLUMNS = columns<Shard>([
  { id: "index", header: "#", className: "num", sortBy: (s) => s.index, cell: (s) => s.index },
  { id: "range", header: "Hash range", td: { className: "mono" }, sortBy: (s) => s.range.lo, cell: (s) => `${s.range.loHex}–${s.range.lastHex}` },
  { id: "position", header: "Position", cell: (s) => <RangeBar startPct={s.range.startPct} widthPct={s.range.widthPct} title={`${s.range.widthPct.toFixed(2)}% of the key space`} /> },
  { id: "home", header: "Home host", sortBy: (s) => s.homeHostName, cell: (s) => s.homeHostName },
  { id: "shardlets", header: "Shardlets", className: "num", sortBy: (s) => s.shardletCount, cell: (s) => s.shardletCount },
  { id: "events", header: "Events", className: "num", sortBy: (s) => s.eventCount, cell: (s) => formatNumber(s.eventCount) },
]);

const SHARDLET_COLUMNS = columns<StreamShardlet>([
  { id: "range", header: "Hash range", td: (s) => ({ className: "mono", title: s.id }), sortBy: (s) => s.range.lo, cell: (s) => `${s.range.loHex}–${s.range.lastHex}` },
  { id: "host", header: "Host", sortBy: (s) => s.hostName, cell: (s) => s.hostName },
  { id: "state", header: "State", sortBy: (s) => s.state, cell: (s) => <StatusBadge status={s.state} /> },
  { id: "epoch", header: "Epoch", className: "num", sortBy: (s) => s.epoch, cell: (s) => s.epoch },
  { id: "events", header: "Events", className: "num", sortBy: (s) => s.eventCount, cell: (s) => formatNumber(s.eventCount) },
  { id: "size", header: "Size", className: "num", sortBy: (s) => s.sizeBytes, cell: (s) => `${formatBytes(s.sizeBytes)} / ${formatBytes(s.capacityBytes)}` },
  { id: "fullness", header: "Fullness", sortBy: (s) => s.fullness, cell: (s) => <FullnessBar fraction={s.fullness} label={`shardlet ${s.range.loHex} fullness`} /> },
]);

export function StreamView({ name }: { name: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.streams.get.queryOptions({ name, eventLimit: 50 }, { refetchInterval: 2500 }));
  const d = q.data;
  return (
    <>
      <PageHeader
        title={`Stream ${name}`}
        subtitle={
          d ? (
            <>
              Key field <code>{d.stream.keyField}</code> · {plural(d.stream.shardCount, "shard")} · {plural(d.shardlets.filter((s) => s.state !== "sealed").length, "live shardlet")} · retention{" "}
              {d.stream.retentionHours} h{d.stream.retentionBytes !== null ? ` or ${formatBytes(d.stream.retentionBytes)}` : ""} · created {formatDateTime(d.stream.createdAt)}
              <span data-testid="stream-retention">
                {" "}
                · oldest kept {formatDateTime(d.retention.oldestEventAt)} (position {formatNumber(d.retention.startSeq)}) · freed {formatBytes(d.retention.freedBytes)}
              </span>
            </>
          ) : (
            <Link href="/streams">Back to streams</Link>
          )
        }
      >
        <Link href={`/streams/${encodeURIComponent(name)}/consumers`} data-testid="consumers-link">
          Consumers
        </Link>
        <Link href={`/streams/${encodeURIComponent(name)}/profile`} data-testid="profile-link">Profile &amp; health</Link>
        <Link href={`/cache?stream=${encodeURIComponent(name)}`} data-testid="cache-link">
          Cache &amp; prefetch
        </Link>
        <Link href="/shard-map">Shard map</Link>
      </PageHeader>
      <ErrorNote error={q.error} testId="stream-error" />
      {!d ? (
        q.isPending ? <Loading what="stream" /> : null
      ) : (
        <>
          <section className="card" aria-labelledby="send-h" data-testid="send-hint">
            <h2 id="send-h">Send events</h2>
            <p style={{ margin: 0 }}>
              Producers POST batches to the edge at <code data-testid="ingest-endpoint">{`${d.edgeUrl.replace(/\/+$/, "")}/v1/streams/${d.stream.name}/events`}</code>{" "}
              with an API key (create one under <Link href="/api-keys">API keys</Link>). Each event needs a <code>key</code> or a{" "}
              <code>payload.{d.stream.keyField}</code>; an <code>id</code> makes retries idempotent. The edge&apos;s REST API is described by its{" "}
              <a href={`${d.edgeUrl.replace(/\/+$/, "")}/openapi.json`} target="_blank" rel="noreferrer" data-testid="openapi-link">
                OpenAPI document
              </a>
              .
            </p>
            <pre className="code" data-testid="curl-example">
              {curlExample(d.edgeUrl, d.stream.name, d.stream.keyField)}
            </pre>
            <div style={{ marginTop: 8 }}>
              <CopyButton text={curlExample(d.edgeUrl, d.stream.name, d.stream.keyField)} label="Copy curl command" />
            </div>
          </section>

          <StreamTelemetry name={d.stream.name} />

          <section className="card" aria-labelledby="events-h">
            <div className="card-header">
              <h2 id="events-h">Recent events</h2>
              <span className="muted">newest first, from the storage hosts</span>
            </div>
            {d.eventErrors.map((e) => (
              <div key={e.hostId} className="alert alert-warning" role="status">
                Could not read events from host {e.hostName}: {e.message}
              </div>
            ))}
            <DataTable
              rows={d.recentEvents}
              columns={EVENT_COLUMNS}
              rowKey={(e) => `${e.shardletId}:${e.seq}`}
              testId="events-table"
              wrapClassName="table-wrap scroll-box"
              rowProps={() => ({ "data-testid": "event-row" })}
              empty="No events yet. Send some with the command above."
              emptyProps={{ "data-testid": "no-events" }}
            />
          </section>

          <StreamHistory name={d.stream.name} />

          <section className="card" aria-labelledby="shards-h">
            <h2 id="shards-h">Shards</h2>
            <DataTable rows={d.shards} columns={SHARD_COLUMNS} rowKey={(s) => s.id} testId="shards-table" empty="The stream has no shard." />
          </section>

          <section className="card" aria-labelledby="shardlets-h">
            <h2 id="shardlets-h">Shardlets</h2>
            <DataTable
              rows={d.shardlets}
              columns={SHARDLET_COLUMNS}
              rowKey={(s) => s.id}
              testId="stream-shardlets-table"
              rowProps={(s) => ({ className: s.state === "sealed" ? "sealed" : undefined, "data-testid": "stream-shardlet-row", "data-state": s.state })}
              empty="The stream has no shardlet."
            />
          </section>
        </>
      )}
    </>
  );
}
