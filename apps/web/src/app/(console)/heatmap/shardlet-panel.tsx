"use client";
import Link from "next/link";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { ErrorNote, Loading, StatusBadge } from "../../../components/ui.tsx";
import { formatBytes, formatRate, formatTime } from "../../../lib/format.ts";
import { useTRPC } from "../../../lib/trpc.ts";
import { ProposalsTable, type ProposalActions } from "./proposals-table.tsx";
import { formatUrgency } from "./urgency.ts";
import { timeAxisTicks, TOOLTIP_STYLE } from "../../../components/charts/chart-style.ts";

/** One shardlet: its forecast against what happened, and the analyzer's proposals for it. */
export function ShardletPanel({ shardletId, metric, onClose, actions }: { shardletId: string; metric: "writes" | "reads"; onClose: () => void; actions: ProposalActions }) {
  const trpc = useTRPC();
  const detail = useQuery(trpc.heatmap.shardlet.queryOptions({ shardletId, pastSteps: 60, metric }, { refetchInterval: 5_000, placeholderData: (prev) => prev }));
  const d = detail.data?.shardlet.id === shardletId && detail.data.metric === metric ? detail.data : undefined;
  const reads = metric === "reads";
  const box = useRef<HTMLElement>(null);
  // Below the map on narrower screens: bring the panel into view when a cell opens it.
  useEffect(() => {
    box.current?.scrollIntoView({ behavior: "smooth", block: "nearest" });
  }, [shardletId]);
  return (
    <section ref={box} className="card" aria-labelledby="shardlet-panel-h" data-testid="shardlet-panel" data-shardlet={shardletId}>
      <div className="card-header">
        <h2 id="shardlet-panel-h">
          Shardlet{" "}
          {d ? (
            <span className="mono">
              {d.shardlet.range.loHex}–{d.shardlet.range.lastHex}
            </span>
          ) : null}
        </h2>
        <button type="button" className="secondary small" onClick={onClose} data-testid="shardlet-panel-close" aria-label="Close the shardlet panel">
          Close
        </button>
      </div>
      <ErrorNote error={detail.error} />
      {!d ? (
        <Loading what="shardlet forecast" />
      ) : (
        <>
          <div className="chips" style={{ marginBottom: 10 }}>
            <span className="chip">
              stream <b>{d.shardlet.streamName}</b>
            </span>
            <span className="chip">
              host <b>{d.shardlet.hostName}</b>
            </span>
            <StatusBadge status={d.shardlet.state} />
            <span className="chip">
              size <b>{formatBytes(d.shardlet.sizeBytes)}</b> / {formatBytes(d.shardlet.capacityBytes)}
            </span>
            {d.ranking ? (
              <>
                <span className="chip">
                  predicted peak <b>{formatRate(d.ranking.predictedPeak)}</b>
                </span>
                <span className="chip" data-testid="shardlet-overload">
                  overload <b>{d.ranking.overloadInSec === null ? "not within the horizon" : formatUrgency(d.ranking.overloadInSec)}</b>
                </span>
              </>
            ) : null}
            <Link href={`/streams/${encodeURIComponent(d.shardlet.streamName)}`} className="chip">
              open stream →
            </Link>
          </div>
          {d.points.length === 0 ? (
            <p className="empty">No telemetry or forecast for this shardlet yet.</p>
          ) : (
            <div
              className="chart"
              style={{ height: 260 }}
              data-testid="forecast-chart"
              role="img"
              aria-label={`${reads ? "Read" : "Write"} rate of the shardlet: actual, forecast and earlier forecasts; ${reads ? "replica threshold" : "overload"} at ${formatRate(d.threshold)}`}
            >
              <ResponsiveContainer width="100%" height="100%">
                <LineChart data={d.points} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
                  <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
                  <XAxis
                    dataKey="t"
                    type="number"
                    scale="time"
                    domain={["dataMin", "dataMax"]}
                    {...timeAxisTicks(d.points.map((p) => p.t))}
                    stroke="var(--text-muted)"
                    fontSize={11}
                    minTickGap={40}
                  />
                  <YAxis stroke="var(--text-muted)" fontSize={11} width={52} tickFormatter={(v: number) => formatRate(v)} />
                  <Tooltip
                    labelFormatter={(v) => formatTime(Number(v))}
                    formatter={(v, name) => [v === null || v === undefined ? "—" : formatRate(Number(v)), String(name)]}
                    contentStyle={TOOLTIP_STYLE}
                  />
                  <Legend wrapperStyle={{ fontSize: 12 }} />
                  <ReferenceLine x={d.boundaryMs} stroke="var(--text)" strokeWidth={1.5} label={{ value: "forecast from", position: "insideTopLeft", fontSize: 11, fill: "var(--text-muted)" }} />
                  <ReferenceLine y={d.threshold} stroke="var(--danger)" strokeDasharray="4 3" label={{ value: reads ? "replica" : "overload", position: "insideTopRight", fontSize: 11, fill: "var(--danger)" }} />
                  <Line name="actual" type="monotone" dataKey="actual" stroke="var(--accent)" strokeWidth={2} dot={false} connectNulls={false} isAnimationActive={false} />
                  <Line name="forecast" type="monotone" dataKey="forecast" stroke="var(--warn)" strokeWidth={2} strokeDasharray="6 3" dot={false} isAnimationActive={false} />
                  <Line name="forecast made earlier" type="monotone" dataKey="pastForecast" stroke="var(--text-muted)" strokeWidth={1.5} strokeDasharray="2 3" dot={false} isAnimationActive={false} />
                </LineChart>
              </ResponsiveContainer>
            </div>
          )}
          <p className="muted" style={{ fontSize: 12, margin: "6px 0 12px" }}>
            {d.run ? `Forecast by ${d.run.model} at ${formatTime(d.run.at)}, ${d.run.horizonSec} s ahead in ${d.run.bucketSec} s steps.` : "No analyzer run has forecast this shardlet yet."} The
            dotted line is what earlier runs forecast for the past steps, before they happened.
          </p>
          <h3 style={{ marginBottom: 6 }}>Proposals for this shardlet</h3>
          <ProposalsTable proposals={d.proposals} actions={actions} compact testId="shardlet-proposals" />
        </>
      )}
    </section>
  );
}
