"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
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
            {d.recentEvents.length === 0 ? (
              <p className="empty" data-testid="no-events">
                No events yet. Send some with the command above.
              </p>
            ) : (
              <div className="table-wrap scroll-box">
                <table data-testid="events-table">
                  <thead>
                    <tr>
                      <th scope="col" className="num">
                        Seq
                      </th>
                      <th scope="col">Key</th>
                      <th scope="col">Type</th>
                      <th scope="col">Id</th>
                      <th scope="col">Time</th>
                      <th scope="col">Payload</th>
                    </tr>
                  </thead>
                  <tbody>
                    {d.recentEvents.map((e) => (
                      <tr key={`${e.shardletId}:${e.seq}`} data-testid="event-row">
                        <td className="num mono">{e.seq}</td>
                        <td className="mono" data-testid="event-key">
                          {e.key}
                        </td>
                        <td>{e.type ?? <span className="muted">—</span>}</td>
                        <td className="mono">{e.id ?? <span className="muted">—</span>}</td>
                        <td>{formatDateTime(e.ts)}</td>
                        <td className="payload mono" title={e.payload}>
                          {e.payload}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>

          <StreamHistory name={d.stream.name} />

          <section className="card" aria-labelledby="shards-h">
            <h2 id="shards-h">Shards</h2>
            <div className="table-wrap">
              <table data-testid="shards-table">
                <thead>
                  <tr>
                    <th scope="col" className="num">
                      #
                    </th>
                    <th scope="col">Hash range</th>
                    <th scope="col">Position</th>
                    <th scope="col">Home host</th>
                    <th scope="col" className="num">
                      Shardlets
                    </th>
                    <th scope="col" className="num">
                      Events
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {d.shards.map((s) => (
                    <tr key={s.id}>
                      <td className="num">{s.index}</td>
                      <td className="mono">
                        {s.range.loHex}–{s.range.lastHex}
                      </td>
                      <td>
                        <RangeBar startPct={s.range.startPct} widthPct={s.range.widthPct} title={`${s.range.widthPct.toFixed(2)}% of the key space`} />
                      </td>
                      <td>{s.homeHostName}</td>
                      <td className="num">{s.shardletCount}</td>
                      <td className="num">{formatNumber(s.eventCount)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>

          <section className="card" aria-labelledby="shardlets-h">
            <h2 id="shardlets-h">Shardlets</h2>
            <div className="table-wrap">
              <table data-testid="stream-shardlets-table">
                <thead>
                  <tr>
                    <th scope="col">Hash range</th>
                    <th scope="col">Host</th>
                    <th scope="col">State</th>
                    <th scope="col" className="num">
                      Epoch
                    </th>
                    <th scope="col" className="num">
                      Events
                    </th>
                    <th scope="col" className="num">
                      Size
                    </th>
                    <th scope="col">Fullness</th>
                  </tr>
                </thead>
                <tbody>
                  {d.shardlets.map((s) => (
                    <tr key={s.id} className={s.state === "sealed" ? "sealed" : undefined} data-testid="stream-shardlet-row" data-state={s.state}>
                      <td className="mono" title={s.id}>
                        {s.range.loHex}–{s.range.lastHex}
                      </td>
                      <td>{s.hostName}</td>
                      <td>
                        <StatusBadge status={s.state} />
                      </td>
                      <td className="num">{s.epoch}</td>
                      <td className="num">{formatNumber(s.eventCount)}</td>
                      <td className="num">
                        {formatBytes(s.sizeBytes)} / {formatBytes(s.capacityBytes)}
                      </td>
                      <td>
                        <FullnessBar fraction={s.fullness} label={`shardlet ${s.range.loHex} fullness`} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
        </>
      )}
    </>
  );
}
