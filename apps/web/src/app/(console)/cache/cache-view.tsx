"use client";
import Link from "next/link";
import { useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { SelectOptions } from "../../../components/fields.tsx";
import { ErrorNote, Loading, PageHeader, Stat } from "../../../components/ui.tsx";
import { formatBytes, formatNumber } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { CachedShardletsTable, EdgeTable, ratioText } from "./edge-table.tsx";
import { HitRatioChart } from "./hit-ratio-chart.tsx";
import { PinsSection } from "./pins-section.tsx";
import { PlacementSection } from "./placement-section.tsx";
import { PrefetchSection } from "./prefetch-section.tsx";
import { ReplicasSection } from "./replicas-section.tsx";
import type { CacheOverview } from "./types.ts";

/** All edges together: totals, so ratios weigh each edge by its reads. */
function Totals({ edges }: { edges: CacheOverview["edges"] }) {
  const sum = (f: (e: CacheOverview["edges"][number]) => number) => edges.reduce((n, e) => n + f(e), 0);
  const hits = sum((e) => e.hits);
  const reads = sum((e) => e.reads);
  const fromCache = sum((e) => e.bytesFromCache);
  const bytes = fromCache + sum((e) => e.bytesFromHosts);
  return (
    <div className="stats" role="group" aria-label="All edges since they started">
      <Stat label="Hit ratio (reads)" value={ratioText(reads > 0 ? hits / reads : null)} testId="cache-total-hit-ratio" />
      <Stat label="Hit ratio (bytes)" value={ratioText(bytes > 0 ? fromCache / bytes : null)} testId="cache-total-byte-hit-ratio" />
      <Stat label={`Cached, of ${formatBytes(sum((e) => e.maxBytes))}`} value={formatBytes(sum((e) => e.bytes))} testId="cache-total-bytes" />
      <Stat label="Prefetched" value={formatBytes(sum((e) => e.prefetchedBytes))} testId="cache-total-prefetched" />
      <Stat label="Host reads saved" value={formatNumber(sum((e) => e.hostReadsSaved))} testId="cache-total-saved" />
    </div>
  );
}

/**
 * The edges' shard cache and prefetcher: hit ratios per edge over time, budget and prefetch
 * waste, the busiest cached shardlets, for one stream the prefetch map with the event-type rates
 * and correlations it was learned from, the cold archive with the placement bandit behind it, and
 * the read replicas and cache pins that bandit makes.
 */
export function CacheView({ initialStream }: { initialStream: string }) {
  const trpc = useTRPC();
  const [stream, setStream] = useState(initialStream);
  const streams = useQuery(trpc.streams.list.queryOptions(undefined, { refetchInterval: 30_000 }));
  const q = useQuery(trpc.cache.overview.queryOptions(stream ? { stream } : {}, { refetchInterval: 5_000, placeholderData: (prev) => prev }));
  const pick = (name: string) => {
    setStream(name);
    // The address names the stream, so the view can be shared or reloaded as it is.
    const url = new URL(window.location.href);
    if (name) url.searchParams.set("stream", name);
    else url.searchParams.delete("stream");
    window.history.replaceState(null, "", url);
  };
  const d = q.data;
  const names = [...new Set([...(streams.data?.streams.map((s) => s.name) ?? []), ...(stream ? [stream] : [])])].sort();

  return (
    <>
      <PageHeader
        title="Cache & prefetch"
        subtitle="The edges cache shardlet ranges in front of consumer reads and prefetch the ones an event's type announces. Refreshes every 5 seconds."
      >
        <div className="toolbar">
          <label htmlFor="cache-stream" className="muted">
            Stream
          </label>
          <select id="cache-stream" value={stream} onChange={(e) => pick(e.target.value)} style={{ width: "auto" }} data-testid="cache-stream">
            <SelectOptions placeholder="All streams" items={names.map((n) => ({ value: n, label: n }))} />
          </select>
          <Link href="/settings#cache-h">Settings</Link>
        </div>
      </PageHeader>
      <ErrorNote error={q.error} testId="cache-error" />
      {!d ? (
        q.isPending ? <Loading what="cache statistics" /> : null
      ) : d.edges.length === 0 ? (
        <section className="card">
          <div className="empty" data-testid="cache-empty">
            <p style={{ margin: 0 }}>No edge has reported a cache snapshot yet.</p>
            <p className="muted" style={{ margin: "6px 0 0", fontSize: 12 }}>
              Each edge sends one every few seconds once it runs (<code>SHARDCAST_EDGE_CACHE_MB</code> sizes its cache; 0 turns it off). If edges are running,
              check that they share this console&apos;s Redis and prefix.
            </p>
          </div>
        </section>
      ) : (
        <>
          <Totals edges={d.edges} />
          <section className="card" aria-labelledby="ratio-h">
            <div className="card-header">
              <h2 id="ratio-h">Hit ratio per edge over time</h2>
              <span className="muted">between consecutive snapshots, last hour; edge totals cover every stream</span>
            </div>
            <HitRatioChart edges={d.edges} />
          </section>
          <section className="card" aria-labelledby="edges-h">
            <div className="card-header">
              <h2 id="edges-h">Edges</h2>
              <span className="muted">since each edge started; wasted = prefetched entries evicted before any read</span>
            </div>
            <EdgeTable edges={d.edges} />
          </section>
        </>
      )}
      {stream ? (
        <PrefetchSection key={stream} stream={stream} />
      ) : (
        <section className="card" aria-labelledby="map-h">
          <h2 id="map-h">Prefetch map</h2>
          <p className="empty" data-testid="prefetch-pick-stream">
            Pick a stream above to see its prefetch map, its event types&apos; rates and how they correlate.
          </p>
        </section>
      )}
      {d ? (
        <section className="card" aria-labelledby="shardlets-h">
          <div className="card-header">
            <h2 id="shardlets-h">Busiest cached shardlets</h2>
            <span className="muted">{stream ? `of ${stream}, ` : ""}reads through the cache, all edges</span>
          </div>
          <CachedShardletsTable shardlets={d.shardlets} stream={stream} />
        </section>
      ) : null}
      <PlacementSection stream={stream} />
      <ReplicasSection stream={stream} />
      <PinsSection stream={stream} />
    </>
  );
}
