"use client";
import { formatBytes, formatDuration, formatNumber, formatPct, plural } from "../../../lib/format.ts";
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

/** Each edge's cache since it started: hit ratios, budget, prefetch and what it saved the hosts. */
export function EdgeTable({ edges }: { edges: readonly EdgeCache[] }) {
  return (
    <div className="table-wrap">
      <table data-testid="edge-cache-table">
        <thead>
          <tr>
            <th scope="col">Edge</th>
            <th scope="col" className="num">
              Reads
            </th>
            <th scope="col" className="num">
              Hit ratio
            </th>
            <th scope="col" className="num">
              Byte hit ratio
            </th>
            <th scope="col">Budget used</th>
            <th scope="col" className="num">
              Prefetched
            </th>
            <th scope="col" className="num">
              Wasted
            </th>
            <th scope="col" className="num">
              Queued
            </th>
            <th scope="col" className="num" title="Announcements waiting for their first read before the rest of their shardlets is fetched">
              Waiting
            </th>
            <th scope="col" className="num">
              Host reads saved
            </th>
            <th scope="col">Snapshot</th>
          </tr>
        </thead>
        <tbody>
          {edges.map((e) => (
            <tr key={e.edgeId} data-testid="edge-cache-row" data-edge={e.edgeId} data-reads={e.reads}>
              <td className="mono">{e.edgeId}</td>
              <td className="num" title={`${plural(e.hits, "hit")}, ${plural(e.misses, "miss", "misses")}`}>
                {formatNumber(e.reads)}
              </td>
              <td className="num" data-testid="edge-hit-ratio">
                {ratioText(e.hitRatio)}
              </td>
              <td className="num" title={`${formatBytes(e.bytesFromCache)} from the cache, ${formatBytes(e.bytesFromHosts)} from the hosts`} data-testid="edge-byte-hit-ratio">
                {ratioText(e.byteHitRatio)}
              </td>
              <td title={plural(e.entries, "entry", "entries")}>
                {e.maxBytes > 0 ? (
                  <>
                    <BudgetBar used={e.budgetUsed ?? 0} label={`cache budget used on ${e.edgeId}`} />
                    <span className="muted" style={{ fontSize: 12 }} data-testid="edge-budget">
                      {formatBytes(e.bytes)} of {formatBytes(e.maxBytes)}
                    </span>
                  </>
                ) : (
                  <span className="muted">cache off</span>
                )}
              </td>
              <td className="num" title={plural(e.prefetches, "prefetch", "prefetches")}>
                {formatBytes(e.prefetchedBytes)}
              </td>
              <td className="num" title={`${formatNumber(e.wastedPrefetches)} prefetched entries evicted before any read`}>
                {formatBytes(e.wastedPrefetchBytes)} <span className="muted">({ratioText(e.wastedShare)})</span>
              </td>
              <td className="num">{formatNumber(e.queued)}</td>
              <td className="num" data-testid="edge-waiting">
                {formatNumber(e.waiting)}
              </td>
              <td className="num">{formatNumber(e.hostReadsSaved)}</td>
              <td className="nowrap">
                {formatDuration(e.ageSec * 1000)} ago {e.ageSec > STALE_SEC ? <span className="badge badge-warn">stale</span> : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The shardlets read most through the cache, summed over the edges. */
export function CachedShardletsTable({ shardlets, stream }: { shardlets: readonly CachedShardlet[]; stream: string }) {
  if (shardlets.length === 0) {
    return (
      <p className="empty" data-testid="cached-shardlets-empty">
        No cached shardlet{stream ? ` of ${stream}` : ""} yet. The cache fills as consumer groups poll and readers read shardlets or positions through the
        edges; each read shows here after the edge&apos;s next snapshot.
      </p>
    );
  }
  return (
    <div className="table-wrap">
      <table className="dense" data-testid="cached-shardlets">
        <thead>
          <tr>
            <th scope="col">Stream</th>
            <th scope="col">Shardlet</th>
            <th scope="col" className="num">
              Hits
            </th>
            <th scope="col" className="num">
              Misses
            </th>
            <th scope="col" className="num">
              Hit ratio
            </th>
            <th scope="col" className="num">
              From cache
            </th>
            <th scope="col" className="num">
              From hosts
            </th>
            <th scope="col" className="num">
              Edges
            </th>
          </tr>
        </thead>
        <tbody>
          {shardlets.map((s) => (
            <tr
              key={`${s.streamId}-${s.shardletId}`}
              className={s.state === "retired" ? "retired" : undefined}
              data-testid="cached-shardlet"
              data-hits={s.hits}
              data-state={s.state ?? undefined}
            >
              <td>{s.streamName ?? <span className="muted">deleted stream</span>}</td>
              <td>
                <ShardletLabel id={s.shardletId} range={s.range} />
                {s.state === "retired" ? (
                  <>
                    {" "}
                    <StatusBadge status="retired" testId="cached-shardlet-retired" />
                  </>
                ) : null}
              </td>
              <td className="num">{formatNumber(s.hits)}</td>
              <td className="num">{formatNumber(s.misses)}</td>
              <td className="num">{ratioText(s.hitRatio)}</td>
              <td className="num">{formatBytes(s.bytesFromCache)}</td>
              <td className="num">{formatBytes(s.bytesFromHosts)}</td>
              <td className="num">{formatNumber(s.edges)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
