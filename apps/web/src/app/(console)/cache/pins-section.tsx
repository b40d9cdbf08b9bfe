"use client";
import { useQuery } from "@tanstack/react-query";
import { columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
import { ErrorNote, Loading, Stat } from "../../../components/ui.tsx";
import { formatAgo, formatBytes, formatDateTime, formatNumber, formatPct } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { ShardletLabel } from "./edge-table.tsx";
import type { PinsData } from "./types.ts";

type Pin = PinsData["pins"][number];

const pinColumns = (showStream: boolean) =>
  columns<Pin>([
    showStream && { id: "stream", header: "Stream", sortBy: (p) => p.streamName, cell: (p) => p.streamName },
    { id: "shardlet", header: "Shardlet", sortBy: (p) => p.range?.lo, cell: (p) => <ShardletLabel id={p.shardletId} range={p.range} /> },
    {
      id: "pinned",
      header: "Pinned",
      td: (p) => ({ className: "nowrap", title: `${formatDateTime(p.since)}; ${p.context}` }),
      sortBy: (p) => p.since,
      cell: (p) => `${formatAgo(p.since)} (${p.runs} ${p.runs === 1 ? "run" : "runs"})`,
    },
    {
      id: "misses",
      header: "Evicted misses before → since",
      title: "Share of its reads that missed an entry the edges' caches had evicted (a longer-kept entry would have served them), in the window that pinned it and since",
      className: "num",
      td: { className: "nowrap" },
      sortBy: (p) => p.missRatioSince,
      cell: (p) => `${formatPct(p.missRatioBefore)} → ${p.missRatioSince === null ? "—" : formatPct(p.missRatioSince)}`,
    },
    { id: "reads", header: "Reads since", title: "Reads of the shardlet on every edge since it was pinned", className: "num", sortBy: (p) => p.reads, cell: (p) => formatNumber(p.reads) },
    {
      id: "held",
      header: "Held",
      title: "Bytes its entries hold, all edges, and on how many edges they are safe from eviction now",
      className: "num",
      td: { className: "nowrap" },
      sortBy: (p) => p.bytes,
      cell: (p) => (
        <>
          {formatBytes(p.bytes)} {p.edges > 0 ? <span className="muted">({p.shieldedOn}/{p.edges === 1 ? "1 edge" : `${p.edges} edges`} shielded)</span> : null}
        </>
      ),
    },
    {
      id: "reward",
      header: "Reward",
      title: "The share of reads the pin turned from evicted misses into hits, net of the reads its shielded bytes cost other entries; below the leave reward after three runs, it is unpinned",
      className: "num",
      td: { "data-testid": "pin-reward" },
      sortBy: (p) => p.reward,
      cell: (p) =>
        p.reward === null ? (
          <span className="muted" title="Measured once the shardlet is read while pinned">
            pending
          </span>
        ) : (
          <strong>{p.reward.toFixed(2)}</strong>
        ),
    },
  ]);

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
          {d.pins.length > 0 ? (
            <div className="stats" role="group" aria-label="Cache pins">
              <Stat label="Pinned shardlets" value={formatNumber(d.pins.length)} testId="pins-count" />
              <Stat label="Held on the edges" value={formatBytes(d.pins.reduce((n, p) => n + p.bytes, 0))} testId="pins-bytes" />
            </div>
          ) : null}
          <DataTable
            rows={d.pins}
            columns={pinColumns(!stream)}
            rowKey={(p) => p.shardletId}
            testId="pins-table"
            className="dense"
            rowProps={(p) => ({ "data-testid": "pin-row", "data-shardlet": p.shardletId, "data-stream": p.streamName, "data-reward": p.reward ?? "" })}
            empty={
              <>
                <p style={{ margin: 0 }}>No shardlet{stream ? ` of ${stream}` : ""} is pinned.</p>
                <p className="muted" style={{ margin: "6px 0 0", fontSize: 12 }}>
                  The placement job pins a shardlet whose reads keep missing entries the edges&apos; caches evicted, when the bandit expects the pin to turn more of them into
                  hits than leaving it earns; a pinned shardlet&apos;s entries are not evicted for other reads or prefetches while they fit the pin budget.
                </p>
              </>
            }
            emptyProps={{ "data-testid": "pins-empty" }}
          />
        </>
      )}
    </section>
  );
}
