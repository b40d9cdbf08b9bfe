"use client";
import { useState } from "react";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatPct, formatTime } from "../../../lib/format.ts";
import type { EdgeCache } from "./types.ts";
import { timeAxisTicks, TOOLTIP_STYLE } from "../../../components/charts/chart-style.ts";

const COLOURS = ["var(--accent)", "var(--ok)", "var(--warn)", "var(--danger)", "var(--text-muted)"];

type Metric = "hitRatio" | "byteHitRatio";
const METRICS: Array<{ m: Metric; label: string }> = [
  { m: "hitRatio", label: "reads" },
  { m: "byteHitRatio", label: "bytes" },
];

/**
 * Each edge's hit ratio between consecutive snapshots (every few seconds), one line per edge. An
 * interval without reads has no ratio and leaves a gap rather than dropping to zero.
 */
export function HitRatioChart({ edges }: { edges: readonly EdgeCache[] }) {
  const [metric, setMetric] = useState<Metric>("hitRatio");
  const drawn = edges.filter((e) => e.series.length > 0);
  return (
    <>
      <div className="segmented" role="group" aria-label="Hit ratio of" style={{ marginBottom: 8 }}>
        {METRICS.map(({ m, label }) => (
          <button key={m} type="button" aria-pressed={metric === m} onClick={() => setMetric(m)} data-testid={`hit-ratio-metric-${m}`}>
            {label}
          </button>
        ))}
      </div>
      {drawn.length === 0 ? (
        <div className="empty" data-testid="hit-ratio-chart-empty">
          No interval to chart yet: the line starts once an edge has sent two snapshots (it sends one every few seconds).
        </div>
      ) : (
        <div
          className="chart"
          data-testid="hit-ratio-chart"
          role="img"
          aria-label={`${metric === "hitRatio" ? "Read" : "Byte"} hit ratio over time of ${drawn.length} edge${drawn.length === 1 ? "" : "s"}`}
        >
          <ResponsiveContainer width="100%" height="100%">
            <LineChart margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
              <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
              <XAxis
                dataKey="at"
                type="number"
                scale="time"
                domain={["dataMin", "dataMax"]}
                allowDuplicatedCategory={false}
                {...timeAxisTicks(drawn.flatMap((e) => e.series.map((p) => p.at)))}
                stroke="var(--text-muted)"
                fontSize={11}
                minTickGap={40}
              />
              <YAxis domain={[0, 1]} stroke="var(--text-muted)" fontSize={11} width={48} tickFormatter={(v: number) => formatPct(v)} />
              <Tooltip labelFormatter={(v) => formatTime(Number(v))} formatter={(v, name) => [v === null ? "no reads" : formatPct(Number(v)), String(name)]} contentStyle={TOOLTIP_STYLE} />
              {drawn.length > 1 ? <Legend wrapperStyle={{ fontSize: 12 }} /> : null}
              {drawn.map((e, i) => (
                <Line
                  key={e.edgeId}
                  data={e.series}
                  name={e.edgeId}
                  dataKey={metric}
                  type="monotone"
                  stroke={COLOURS[i % COLOURS.length]}
                  strokeWidth={2}
                  dot={e.series.length < 3}
                  connectNulls={false}
                  isAnimationActive={false}
                />
              ))}
            </LineChart>
          </ResponsiveContainer>
        </div>
      )}
    </>
  );
}
