"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { columns } from "../../../components/data-table-columns.tsx";
import { DataTable } from "../../../components/data-table.tsx";
import { ErrorNote, Loading } from "../../../components/ui.tsx";
import { formatDuration, plural } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { ShardletLabel } from "./edge-table.tsx";
import type { PrefetchData } from "./types.ts";

const rate = (perSec: number) => `${perSec >= 10 ? Math.round(perSec) : perSec.toFixed(2)}/s`;
const corr = (r: number) => r.toFixed(2);

function NoMap({ d }: { d: PrefetchData }) {
  if (!d.prefetchEnabled) {
    return (
      <p className="empty" data-testid="prefetch-map-empty" data-reason="disabled">
        Prefetch is off, so no map is published. Admins turn it on under <Link href="/settings">Settings</Link>.
      </p>
    );
  }
  return (
    <p className="empty" data-testid="prefetch-map-empty" data-reason="none">
      No prefetch map for {d.stream.name} yet. The worker&apos;s correlation job publishes one every few seconds once events with a <code>type</code> are written
      to the stream and consumer groups read it.
    </p>
  );
}

type MapRow = PrefetchData["rows"][number];
type RateRow = PrefetchData["rates"][number];
type CorrelationRow = PrefetchData["correlations"][number];

/** Rows of one event type sit together: the type is named, and a rule drawn, where it changes from the row above. */
const startsGroup = (r: MapRow, above: MapRow | undefined) => r.eventType !== above?.eventType;

const mapColumns = (threshold: number) =>
  columns<MapRow>([
    {
      id: "type",
      header: "Event type",
      sortBy: (r) => r.eventType,
      cell: (r, context) => {
        const shown = context.table.getRowModel().rows;
        const above = shown[shown.findIndex((row) => row.id === context.row.id) - 1]?.original;
        return startsGroup(r, above) ? <strong>{r.eventType}</strong> : null;
      },
    },
    { id: "shardlet", header: "Shardlet", sortBy: (r) => r.range?.lo, cell: (r) => <ShardletLabel id={r.shardletId} range={r.range} /> },
    { id: "p", header: "p", className: "num", sortBy: (r) => r.p, cell: (r) => (r.aboveThreshold ? <strong>{r.p.toFixed(2)}</strong> : <span className="muted">{r.p.toFixed(2)}</span>) },
    { id: "lag", header: "Lag", className: "num", sortBy: (r) => r.lagSeconds, cell: (r) => formatDuration(r.lagSeconds * 1000) },
    { id: "lift", header: "Lift", className: "num", sortBy: (r) => r.lift, cell: (r) => `${r.lift.toFixed(1)}×` },
    { id: "target", header: "Read by", td: { className: "mono" }, sortBy: (r) => r.target, cell: (r) => r.target ?? <span className="muted">—</span> },
    {
      id: "prefetched",
      header: "Prefetched",
      sortBy: (r) => r.aboveThreshold,
      cell: (r) => (r.aboveThreshold ? <span className="badge badge-ok">above {threshold.toFixed(2)}</span> : <span className="muted">below</span>),
    },
  ]);

function MapTable({ d }: { d: PrefetchData }) {
  const map = d.map;
  if (!map) return <NoMap d={d} />;
  return (
    <DataTable
      rows={d.rows}
      columns={mapColumns(map.threshold)}
      rowKey={(r) => `${r.eventType}-${r.shardletId}`}
      testId="prefetch-map"
      className="dense"
      rowProps={(r, above) => ({ "data-testid": "prefetch-row", "data-above": r.aboveThreshold, style: startsGroup(r, above) ? { borderTop: "2px solid var(--border)" } : undefined })}
      empty="The map is empty: no event type announces a shardlet's read strongly enough yet (it needs evidence, and lift over how often the shardlet is read anyway)."
      emptyProps={{ "data-testid": "prefetch-map-empty", "data-reason": "empty" }}
    />
  );
}

const RATE_COLUMNS = columns<RateRow>([
  { id: "type", header: "Event type", sortBy: (r) => r.type, cell: (r) => r.type },
  { id: "short", header: "Recent", className: "num", sortBy: (r) => r.short, cell: (r) => rate(r.short) },
  { id: "long", header: "Long-term", className: "num", sortBy: (r) => r.long, cell: (r) => rate(r.long) },
]);

function Rates({ d }: { d: PrefetchData }) {
  return (
    <DataTable
      rows={d.rates}
      columns={RATE_COLUMNS}
      rowKey={(r) => r.type}
      testId="type-rates"
      className="dense"
      empty={d.note ?? "No event type seen yet."}
      emptyProps={{ "data-testid": "type-rates-empty" }}
    />
  );
}

const CORRELATION_COLUMNS = columns<CorrelationRow>([
  { id: "a", header: "Type", sortBy: (c) => c.a, cell: (c) => c.a },
  { id: "b", header: "then", sortBy: (c) => c.b, cell: (c) => c.b },
  { id: "lag", header: "Lag", className: "num", sortBy: (c) => c.lagSeconds, cell: (c) => (c.lagSteps === 0 ? "same step" : formatDuration(c.lagSeconds * 1000)) },
  { id: "short", header: "Recent", className: "num", sortBy: (c) => c.short, cell: (c) => corr(c.short) },
  { id: "long", header: "Long-term", className: "num", sortBy: (c) => c.long, cell: (c) => corr(c.long) },
]);

function Correlations({ d }: { d: PrefetchData }) {
  return (
    <DataTable
      rows={d.correlations}
      columns={CORRELATION_COLUMNS}
      rowKey={(c) => `${c.a}-${c.b}-${c.lagSteps}`}
      testId="type-correlations"
      className="dense"
      empty={d.note ?? "No two event types move together strongly enough yet."}
      emptyProps={{ "data-testid": "type-correlations-empty" }}
    />
  );
}

/** One stream's prefetch map (what the edges act on) and the engine's view it was made from. */
export function PrefetchSection({ stream }: { stream: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.cache.prefetch.queryOptions({ stream }, { refetchInterval: 10_000, placeholderData: (prev) => (prev?.stream.name === stream ? prev : undefined) }));
  const d = q.data;
  const shownTypes = new Set(d?.rows.map((r) => r.eventType)).size;
  return (
    <>
      <section className="card" aria-labelledby="map-h" data-testid="prefetch-section">
        <div className="card-header">
          <h2 id="map-h">Prefetch map of {stream}</h2>
          {d?.map ? (
            <span className="muted" data-testid="prefetch-map-meta">
              threshold {d.map.threshold.toFixed(2)} · {plural(d.map.entries, "entry", "entries")} over {plural(d.map.types, "event type")}
              {d.map.types > shownTypes ? `, busiest ${shownTypes} shown` : ""} · published {formatDuration(d.map.ageSec * 1000)} ago
            </span>
          ) : null}
        </div>
        <p className="muted" style={{ marginTop: 0 }}>
          An event of a type announces reads of these shardlets: with probability <em>p</em> a read follows within the lag shown. When an edge acks such an event
          it queues the shardlets at or above the threshold for prefetch, ordered by when their reads are due.
        </p>
        <ErrorNote error={q.error} testId="prefetch-error" />
        {d ? <MapTable d={d} /> : q.isPending ? <Loading what="prefetch map" /> : null}
      </section>
      {d ? (
        <div className="grid grid-2">
          <section className="card" aria-labelledby="rates-h">
            <div className="card-header">
              <h2 id="rates-h">Event type rates</h2>
              <span className="muted">smoothed events per second</span>
            </div>
            <Rates d={d} />
          </section>
          <section className="card" aria-labelledby="corr-h">
            <div className="card-header">
              <h2 id="corr-h">Type correlations</h2>
              <span className="muted">strongest first; Pearson r from −1 to 1</span>
            </div>
            <Correlations d={d} />
          </section>
        </div>
      ) : null}
    </>
  );
}
