"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { ErrorNote, FullnessBar, Loading, PageHeader, RangeBar, StatusBadge } from "../../../components/ui.tsx";
import { formatBytes, formatNumber, formatRate } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";

export function ShardMapView() {
  const trpc = useTRPC();
  const [streamId, setStreamId] = useState("");
  const streams = useQuery(trpc.streams.list.queryOptions(undefined, { refetchInterval: 10_000 }));
  const map = useQuery(trpc.shardmap.byHost.queryOptions(streamId ? { streamId, includeRetired: false } : undefined, { refetchInterval: 2500 }));
  return (
    <>
      <PageHeader title="Shard map" subtitle="Every live shardlet, per storage host: its hash range, fullness, state and fencing epoch.">
        <div className="field" style={{ minWidth: 220, flex: "none" }}>
          <label htmlFor="stream-filter">Stream</label>
          <select id="stream-filter" value={streamId} onChange={(e) => setStreamId(e.target.value)} data-testid="shardmap-stream-filter">
            <option value="">All streams</option>
            {streams.data?.streams.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        </div>
      </PageHeader>
      <ErrorNote error={map.error} />
      {map.isPending ? <Loading what="shard map" /> : null}
      {map.data?.hosts.length === 0 ? <p className="empty">No storage host registered.</p> : null}
      {map.data?.hosts.map((h) => (
        <section key={h.id} className="card host-map" aria-labelledby={`host-${h.id}`} data-testid={`shardmap-host-${h.name}`}>
          <div className="host-map-head">
            <h2 id={`host-${h.id}`}>{h.name}</h2>
            <StatusBadge status={h.status} />
            <span className="muted">
              {h.shardlets.length} shardlet{h.shardlets.length === 1 ? "" : "s"} · {formatNumber(h.eventCount)} events · {formatBytes(h.shardletBytes)}
            </span>
            <span className="spacer" />
            <div style={{ width: 220 }}>
              <FullnessBar fraction={h.capacityBytes > 0 ? h.sizeBytes / h.capacityBytes : 0} label={`${h.name} fullness`} />
            </div>
          </div>
          {h.shardlets.length === 0 ? (
            <p className="empty">No shardlets on this host.</p>
          ) : (
            <div className="table-wrap">
              <table data-testid="shardmap-table">
                <thead>
                  <tr>
                    <th scope="col">Stream</th>
                    <th scope="col">Hash range</th>
                    <th scope="col">Key space</th>
                    <th scope="col">State</th>
                    <th scope="col" className="num">
                      Epoch
                    </th>
                    <th scope="col" className="num">
                      Events
                    </th>
                    <th scope="col" className="num">
                      Writes
                    </th>
                    <th scope="col" className="num">
                      Size / capacity
                    </th>
                    <th scope="col">Fullness</th>
                  </tr>
                </thead>
                <tbody>
                  {h.shardlets.map((s) => (
                    <tr key={s.id} data-testid="shardlet-row" data-stream={s.streamName} data-events={s.eventCount}>
                      <td>
                        <Link href={`/streams/${encodeURIComponent(s.streamName)}`}>{s.streamName}</Link>
                      </td>
                      <td className="mono" title={s.id}>
                        {s.range.loHex}–{s.range.lastHex}
                      </td>
                      <td>
                        <RangeBar
                          startPct={s.range.startPct}
                          widthPct={s.range.widthPct}
                          title={`${s.range.startPct.toFixed(2)}% – ${(s.range.startPct + s.range.widthPct).toFixed(2)}% of the key space`}
                        />
                        <span className="muted" style={{ fontSize: 11 }}>
                          {s.range.widthPct.toFixed(2)}%
                        </span>
                      </td>
                      <td>
                        <StatusBadge status={s.state} />
                      </td>
                      <td className="num" data-testid="shardlet-epoch">
                        {s.epoch}
                      </td>
                      <td className="num" data-testid="shardlet-events">
                        {formatNumber(s.eventCount)}
                      </td>
                      <td className="num">{formatRate(s.writeRate)}</td>
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
          )}
        </section>
      ))}
    </>
  );
}
