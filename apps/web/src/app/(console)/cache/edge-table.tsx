"use client";
import { formatBytes, formatDuration, formatNumber, formatPct, plural } from "../../../lib/format.ts";
import { columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
import { StatusBadge } from "../../../components/ui.tsx";
import { hashRange } from "../../../lib/health-colour.ts";
import type { CachedShardlet, EdgeCache } from "./types.ts";

/** Edges send a snapshot every few seconds: one this old likely comes from an edge that stopped. */
const STALE_SEC = 30;

export const ratioText = (r: number | null) => (r === null ? "—" : formatPct(r));

/** A shardlet as its key-hash range when the control database still knows it, else its id's tail. */
export function ShardletLabel({ id, range }: { id: string; range: { lo: number; hi: number } | null }) {
  return (
    <span className="mono" title={id}>
      {range ? hashRange(range.lo, range.hi) : `…${id.slice(-8)}`}
    </span>
  );
}

/** Uncoloured on purpose: a full cache is a working cache (it evicts the least recently used), not a warning. */
function BudgetBar({ used, label }: { used: number; label: string }) {
  return (
    <div className="bar" style={{ width: 110 }} role="meter" aria-valuemin={0} aria-valuemax={100} aria-valuenow={Math.round(used * 100)} aria-label={label}>
      <div className="bar-fill" style={{ width: `${Math.max(0, Math.min(1, used)) * 100}%` }} />
    </div>
  );
}

const EDGE_COLUMNS = columns<EdgeCache>([
  { id: "edge", header: "Edge", td: { className: "mono" }, sortBy: (e) => e.edgeId, cell: (e) => e.edgeId },
  {
    id: "reads",
    header: "Reads",
    className: "num",
    td: (e) => ({ title: `${plural(e.hits, "hit")}, ${plural(e.misses, "miss", "misses")}` }),
    sortBy: (e) => e.reads,
    cell: (e) => formatNumber(e.reads),
  },
  { id: "hitRatio", header: "Hit ratio", className: "num", td: { "data-testid": "edge-hit-ratio" }, sortBy: (e) => e.hitRatio, cell: (e) => ratioText(e.hitRatio) },
  {
    id: "byteHitRatio",
    header: "Byte hit ratio",
    className: "num",
    td: (e) => ({ title: `${formatBytes(e.bytesFromCache)} from the cache, ${formatBytes(e.bytesFromHosts)} from the hosts`, "data-testid": "edge-byte-hit-ratio" }),
    sortBy: (e) => e.byteHitRatio,
    cell: (e) => ratioText(e.byteHitRatio),
  },
  {
    id: "budget",
    header: "Budget used",
    td: (e) => ({ title: plural(e.entries, "entry", "entries") }),
    sortBy: (e) => e.budgetUsed,
    cell: (e) =>
      e.maxBytes > 0 ? (
        <>
          <BudgetBar used={e.budgetUsed ?? 0} label={`cache budget used on ${e.edgeId}`} />
          <span className="muted" style={{ fontSize: 12 }} data-testid="edge-budget">
            {formatBytes(e.bytes)} of {formatBytes(e.maxBytes)}
          </span>
        </>
      ) : (
        <span className="muted">cache off</span>
      ),
  },
  {
    id: "prefetched",
    header: "Prefetched",
    className: "num",
    td: (e) => ({ title: plural(e.prefetches, "prefetch", "prefetches") }),
    sortBy: (e) => e.prefetchedBytes,
    cell: (e) => formatBytes(e.prefetchedBytes),
  },
  {
    id: "wasted",
    header: "Wasted",
    className: "num",
    td: (e) => ({ title: `${formatNumber(e.wastedPrefetches)} prefetched entries evicted before any read` }),
    sortBy: (e) => e.wastedPrefetchBytes,
    cell: (e) => (
      <>
        {formatBytes(e.wastedPrefetchBytes)} <span className="muted">({ratioText(e.wastedShare)})</span>
      </>
    ),
  },
  { id: "queued", header: "Queued", className: "num", sortBy: (e) => e.queued, cell: (e) => formatNumber(e.queued) },
  {
    id: "waiting",
    header: "Waiting",
    title: "Announcements waiting for their first read before the rest of their shardlets is fetched",
    className: "num",
    td: { "data-testid": "edge-waiting" },
    sortBy: (e) => e.waiting,
    cell: (e) => formatNumber(e.waiting),
  },
  { id: "saved", header: "Host reads saved", className: "num", sortBy: (e) => e.hostReadsSaved, cell: (e) => formatNumber(e.hostReadsSaved) },
  {
    id: "snapshot",
    header: "Snapshot",
    td: { className: "nowrap" },
    sortBy: (e) => e.ageSec,
    cell: (e) => (
      <>
        {formatDuration(e.ageSec * 1000)} ago {e.ageSec > STALE_SEC ? <span className="badge badge-warn">stale</span> : null}
      </>
    ),
  },
]);

/** Each edge's cache since it started: hit ratios, budget, prefetch and what it saved the hosts. */
export function EdgeTable({ edges }: { edges: readonly EdgeCache[] }) {
  return (
    <DataTable
      rows={edges}
      columns={EDGE_COLUMNS}
      rowKey={(e) => e.edgeId}
      testId="edge-cache-table"
      rowProps={(e) => ({ "data-testid": "edge-cache-row", "data-edge": e.edgeId, "data-reads": e.reads })}
      empty="No edge has sent a cache snapshot yet."
    />
  );
}

const SHARDLET_COLUMNS = columns<CachedShardlet>([
  { id: "stream", header: "Stream", sortBy: (s) => s.streamName, cell: (s) => s.streamName ?? <span className="muted">deleted stream</span> },
  {
    id: "shardlet",
    header: "Shardlet",
    sortBy: (s) => s.range?.lo,
    cell: (s) => (
      <>
        <ShardletLabel id={s.shardletId} range={s.range} />
        {s.state === "retired" ? (
          <>
            {" "}
            <StatusBadge status="retired" testId="cached-shardlet-retired" />
          </>
        ) : null}
      </>
    ),
  },
  { id: "hits", header: "Hits", className: "num", sortBy: (s) => s.hits, cell: (s) => formatNumber(s.hits) },
  { id: "misses", header: "Misses", className: "num", sortBy: (s) => s.misses, cell: (s) => formatNumber(s.misses) },
  { id: "hitRatio", header: "Hit ratio", className: "num", sortBy: (s) => s.hitRatio, cell: (s) => ratioText(s.hitRatio) },
  { id: "fromCache", header: "From cache", className: "num", sortBy: (s) => s.bytesFromCache, cell: (s) => formatBytes(s.bytesFromCache) },
  { id: "fromHosts", header: "From hosts", className: "num", sortBy: (s) => s.bytesFromHosts, cell: (s) => formatBytes(s.bytesFromHosts) },
  { id: "edges", header: "Edges", className: "num", sortBy: (s) => s.edges, cell: (s) => formatNumber(s.edges) },
]);

/** The shardlets read most through the cache, summed over the edges. */
export function CachedShardletsTable({ shardlets, stream }: { shardlets: readonly CachedShardlet[]; stream: string }) {
  return (
    <DataTable
      rows={shardlets}
      columns={SHARDLET_COLUMNS}
      rowKey={(s) => `${s.streamId}-${s.shardletId}`}
      testId="cached-shardlets"
      className="dense"
      rowProps={(s) => ({ className: s.state === "retired" ? "retired" : undefined, "data-testid": "cached-shardlet", "data-hits": s.hits, "data-state": s.state ?? undefined })}
      empty={
        <>
          No cached shardlet{stream ? ` of ${stream}` : ""} yet. The cache fills as consumer groups poll and readers read shardlets or positions through the edges; each read
          shows here after the edge&apos;s next snapshot.
        </>
      }
      emptyProps={{ "data-testid": "cached-shardlets-empty" }}
    />
  );
}
