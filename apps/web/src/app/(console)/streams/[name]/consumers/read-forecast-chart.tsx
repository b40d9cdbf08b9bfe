"use client";
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatRate, formatTime } from "../../../../../lib/format.ts";
import { timeAxisTicks, TOOLTIP_STYLE } from "../../../../../components/charts/chart-style.ts";

export interface GroupReads {
  bucketSec: number;
  boundaryMs: number;
  model: string | null;
  points: Array<{ t: number; actual: number | null; forecast: number | null }>;
}

/** What a group's read forecast rests on, in words. */
export function readForecastNote(r: GroupReads): string {
  if (r.model === null) return `Not forecast yet: the analyzer forecasts a group's reads once it has read over its history (steps of ${r.bucketSec} s).`;
  if (r.model === "observed_rate") return "The group's recent read forecasts missed, so its observed read rate is carried forward until they come close again.";
  return `Forecast by ${r.model.replaceAll("_", " ")}, chosen for this group's reads by the analyzer's latest run (steps of ${r.bucketSec} s).`;
}

/** The group's reads per second before the analyzer's "now", and its forecast after. */
export function ReadForecastChart({ reads }: { reads: GroupReads }) {
  return (
    <div className="chart" style={{ height: 220 }} data-testid="group-read-chart" data-model={reads.model ?? ""} role="img" aria-label={`Reads per second of the group, actual and forecast. ${readForecastNote(reads)}`}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={reads.points} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="t" type="number" scale="time" domain={["dataMin", "dataMax"]} {...timeAxisTicks(reads.points.map((p) => p.t))} stroke="var(--text-muted)" fontSize={11} minTickGap={40} />
          <YAxis stroke="var(--text-muted)" fontSize={11} width={52} tickFormatter={(v: number) => formatRate(v)} />
          <Tooltip labelFormatter={(v) => formatTime(Number(v))} formatter={(v, name) => [v === null || v === undefined ? "—" : formatRate(Number(v)), String(name)]} contentStyle={TOOLTIP_STYLE} />
          <Legend wrapperStyle={{ fontSize: 12 }} />
          <ReferenceLine x={reads.boundaryMs} stroke="var(--text)" strokeWidth={1.5} />
          <Line name="reads" type="monotone" dataKey="actual" stroke="var(--accent)" strokeWidth={2} dot={false} connectNulls={false} isAnimationActive={false} />
          <Line name="forecast" type="monotone" dataKey="forecast" stroke="var(--text-muted)" strokeDasharray="5 3" strokeWidth={2} dot={false} connectNulls={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
