"use client";
import { useQuery } from "@tanstack/react-query";
import { ErrorNote, Loading, Stat } from "../../../components/ui.tsx";
import { formatAgo, formatBytes, formatDateTime, formatNumber, formatPct } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { ShardletLabel } from "./edge-table.tsx";
import type { PinsData } from "./types.ts";

type Pin = PinsData["pins"][number];

function PinsTable({ pins, showStream }: { pins: readonly Pin[]; showStream: boolean }) {
  return (
    <div className="table-wrap">
      <table className="dense" data-testid="pins-table">
        <thead>
          <tr>
            {showStream ? <th scope="col">Stream</th> : null}
            <th scope="col">Shardlet</th>
            <th scope="col">Pinned</th>
            <th scope="col" className="num" title="Share of its reads that missed an entry the edges' caches had evicted (a longer-kept entry would have served them), in the window that pinned it and since">
              Evicted misses before → since
            </th>
            <th scope="col" className="num" title="Reads of the shardlet on every edge since it was pinned">
              Reads since
            </th>
            <th scope="col" className="num" title="Bytes its entries hold, all edges, and on how many edges they are safe from eviction now">
              Held
            </th>
            <th scope="col" className="num" title="The share of reads the pin turned from evicted misses into hits, net of the reads its shielded bytes cost other entries; below the leave reward after three runs, it is unpinned">
              Reward
            </th>
          </tr>
        </thead>
        <tbody>
          {pins.map((p) => (
            <tr key={p.shardletId} data-testid="pin-row" data-shardlet={p.shardletId} data-stream={p.streamName} data-reward={p.reward ?? ""}>
              {showStream ? <td>{p.streamName}</td> : null}
              <td>
                <ShardletLabel id={p.shardletId} range={p.range} />
              </td>
              <td className="nowrap" title={`${formatDateTime(p.since)}; ${p.context}`}>
                {formatAgo(p.since)} ({p.runs} {p.runs === 1 ? "run" : "runs"})
              </td>
              <td className="num nowrap">
                {formatPct(p.missRatioBefore)} → {p.missRatioSince === null ? "—" : formatPct(p.missRatioSince)}
              </td>
              <td className="num">{formatNumber(p.reads)}</td>
              <td className="num nowrap">
                {formatBytes(p.bytes)} {p.edges > 0 ? <span className="muted">({p.shieldedOn}/{p.edges === 1 ? "1 edge" : `${p.edges} edges`} shielded)</span> : null}
              </td>
              <td className="num" data-testid="pin-reward">
                {p.reward === null ? <span className="muted" title="Measured once the shardlet is read while pinned">pending</span> : <strong>{p.reward.toFixed(2)}</strong>}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Cache pins: the shardlets whose entries the edges keep safe from eviction because the placement
 * job pinned them, how their reads fared before and since, and the reward the job measures.
 */
export function PinsSection({ stream }: { stream: string }) {
  const trpc = useTRPC();
  const q = useQuery(
    trpc.cache.pins.queryOptions(stream ? { stream } : {}, {
      refetchInterval: 10_000,
      placeholderData: (prev) => ((prev?.stream?.name ?? "") === stream ? prev : undefined),
    }),
  );
  const d = q.data;
  const off = d ? d.pinBudgetShare === 0 || d.maxPins === 0 : false;
  return (
    <section className="card" aria-labelledby="pins-h" data-testid="pins-section">
      <div className="card-header">
        <h2 id="pins-h">Cache pins</h2>
        <span className="muted">
          {stream ? `${stream}; ` : ""}
          {d ? (off ? "turned off" : `up to ${d.maxPins}, holding at most ${formatPct(d.pinBudgetShare)} of each edge's cache`) : ""}
        </span>
      </div>
      <ErrorNote error={q.error} testId="pins-error" />
      {!d ? (
        q.isPending ? <Loading what="cache pins" /> : null
      ) : (
        <>
          {d.stateError ? (
            <div className="alert alert-warning" role="status" data-testid="pins-state-error">
              {d.stateError}
            </div>
          ) : null}
          {d.pins.length === 0 ? (
            <div className="empty" data-testid="pins-empty">
              <p style={{ margin: 0 }}>No shardlet{stream ? ` of ${stream}` : ""} is pinned.</p>
              <p className="muted" style={{ margin: "6px 0 0", fontSize: 12 }}>
                The placement job pins a shardlet whose reads keep missing entries the edges&apos; caches evicted, when the bandit expects the pin to turn more of them into hits
                than leaving it earns; a pinned shardlet&apos;s entries are not evicted for other reads or prefetches while they fit the pin budget.
              </p>
            </div>
          ) : (
            <>
              <div className="stats" role="group" aria-label="Cache pins">
                <Stat label="Pinned shardlets" value={formatNumber(d.pins.length)} testId="pins-count" />
                <Stat label="Held on the edges" value={formatBytes(d.pins.reduce((n, p) => n + p.bytes, 0))} testId="pins-bytes" />
              </div>
              <PinsTable pins={d.pins} showStream={!stream} />
            </>
          )}
        </>
      )}
    </section>
  );
}
