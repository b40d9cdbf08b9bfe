"use client";
import { CartesianGrid, Legend, Line, LineChart, ReferenceArea, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatPct, formatTime } from "../../../lib/format.ts";
import { TOOLTIP_STYLE } from "../../../components/charts/chart-style.ts";

export const POLICY_COLORS: Record<string, string> = {
  static: "#95a5a6",
  static_peak: "#7f8c8d",
  reactive: "#e67e22",
  reactive_tuned: "#c0392b",
  predictive: "#2980b9",
  oracle: "#27ae60",
};

/** A time on the x axis: days into a trace when `relative`, else the clock time. */
export const timeLabel = (relative: boolean) => (t: number) => (relative ? `day ${(t / 86_400_000).toFixed(1)}` : formatTime(t));

/** The x axis of a what-if chart (an element, not a component: the chart reads its children). */
export const timeAxis = (label: (t: number) => string) => (
  <XAxis dataKey="t" type="number" domain={["dataMin", "dataMax"]} tickFormatter={(v: number) => label(v)} stroke="var(--text-muted)" fontSize={11} minTickGap={40} />
);

/** The warm-up before `measuredFrom`, shaded; nothing when the data starts after it. */
export const warmUpArea = (data: ReadonlyArray<{ t: number }>, measuredFrom: number) =>
  data.length > 0 && measuredFrom > data[0]!.t ? <ReferenceArea x1={data[0]!.t} x2={measuredFrom} fill="var(--border)" fillOpacity={0.35} label={{ value: "warm-up", fontSize: 11 }} /> : null;

/** The hottest host's utilisation over time, one line per policy, with the capacity at 100%. */
export function WhatIfChart({
  points,
  policies,
  measuredFrom,
  relative,
}: {
  points: Array<{ t: number; values: Record<string, number> }>;
  policies: string[];
  measuredFrom: number;
  /** Times are ms from the start of a trace rather than wall-clock instants. */
  relative: boolean;
}) {
  const data = points.map((p) => ({ t: p.t, ...p.values }));
  const label = timeLabel(relative);
  const top = Math.max(1.1, ...points.flatMap((p) => Object.values(p.values))) * 1.05;
  return (
    <div className="chart" style={{ height: 300 }} data-testid="whatif-chart" role="img" aria-label="Hottest host utilisation over time for each policy">
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={data} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
          {timeAxis(label)}
          <YAxis stroke="var(--text-muted)" fontSize={11} width={48} domain={[0, top]} tickFormatter={(v: number) => formatPct(v)} />
          <Tooltip
            labelFormatter={(v) => label(Number(v))}
            formatter={(v, name) => [formatPct(Number(v)), String(name)]}
            contentStyle={TOOLTIP_STYLE}
          />
          <Legend />
          {warmUpArea(data, measuredFrom)}
          <ReferenceLine y={1} stroke="#c0392b" strokeDasharray="5 4" label={{ value: "capacity", fontSize: 11, position: "insideTopRight" }} />
          {policies.map((p) => (
            <Line key={p} type="monotone" dataKey={p} stroke={POLICY_COLORS[p] ?? "var(--accent)"} dot={false} strokeWidth={p === "predictive" ? 2 : 1.5} isAnimationActive={false} />
          ))}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
