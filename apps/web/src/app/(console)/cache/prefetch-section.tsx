"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
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

function MapTable({ d }: { d: PrefetchData }) {
  const map = d.map;
  if (!map) return <NoMap d={d} />;
  if (d.rows.length === 0) {
    return (
      <p className="empty" data-testid="prefetch-map-empty" data-reason="empty">
        The map is empty: no event type announces a shardlet&apos;s read strongly enough yet (it needs evidence, and lift over how often the shardlet is read
        anyway).
      </p>
    );
  }
  let previous = "";
  return (
    <div className="table-wrap">
      <table className="dense" data-testid="prefetch-map">
        <thead>
          <tr>
            <th scope="col">Event type</th>
            <th scope="col">Shardlet</th>
            <th scope="col" className="num">
              p
            </th>
            <th scope="col" className="num">
              Lag
            </th>
            <th scope="col" className="num">
              Lift
            </th>
            <th scope="col">Read by</th>
            <th scope="col">Prefetched</th>
          </tr>
        </thead>
        <tbody>
          {d.rows.map((r) => {
            const first = r.eventType !== previous;
            previous = r.eventType;
            return (
              <tr key={`${r.eventType}-${r.shardletId}`} data-testid="prefetch-row" data-above={r.aboveThreshold} style={first ? { borderTop: "2px solid var(--border)" } : undefined}>
                <td>{first ? <strong>{r.eventType}</strong> : null}</td>
                <td>
                  <ShardletLabel id={r.shardletId} range={r.range} />
                </td>
                <td className="num">{r.aboveThreshold ? <strong>{r.p.toFixed(2)}</strong> : <span className="muted">{r.p.toFixed(2)}</span>}</td>
                <td className="num">{formatDuration(r.lagSeconds * 1000)}</td>
                <td className="num">{r.lift.toFixed(1)}×</td>
                <td className="mono">{r.target ?? <span className="muted">—</span>}</td>
                <td>{r.aboveThreshold ? <span className="badge badge-ok">above {map.threshold.toFixed(2)}</span> : <span className="muted">below</span>}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function Rates({ d }: { d: PrefetchData }) {
  if (d.rates.length === 0) return <p className="empty" data-testid="type-rates-empty">{d.note ?? "No event type seen yet."}</p>;
  return (
    <table className="dense" data-testid="type-rates">
      <thead>
        <tr>
          <th scope="col">Event type</th>
          <th scope="col" className="num">
            Recent
          </th>
          <th scope="col" className="num">
            Long-term
          </th>
        </tr>
      </thead>
      <tbody>
        {d.rates.map((r) => (
          <tr key={r.type}>
            <td>{r.type}</td>
            <td className="num">{rate(r.short)}</td>
            <td className="num">{rate(r.long)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Correlations({ d }: { d: PrefetchData }) {
  if (d.correlations.length === 0) {
    return (
      <p className="empty" data-testid="type-correlations-empty">
        {d.note ?? "No two event types move together strongly enough yet."}
      </p>
    );
  }
  return (
    <table className="dense" data-testid="type-correlations">
      <thead>
        <tr>
          <th scope="col">Type</th>
          <th scope="col">then</th>
          <th scope="col" className="num">
            Lag
          </th>
          <th scope="col" className="num">
            Recent
          </th>
          <th scope="col" className="num">
            Long-term
          </th>
        </tr>
      </thead>
      <tbody>
        {d.correlations.map((c) => (
          <tr key={`${c.a}-${c.b}-${c.lagSteps}`}>
            <td>{c.a}</td>
            <td>{c.b}</td>
            <td className="num">{c.lagSteps === 0 ? "same step" : formatDuration(c.lagSeconds * 1000)}</td>
            <td className="num">{corr(c.short)}</td>
            <td className="num">{corr(c.long)}</td>
          </tr>
        ))}
      </tbody>
    </table>
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
