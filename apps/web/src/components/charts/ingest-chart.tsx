"use client";
import { Area, AreaChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatRate, formatTime } from "../../lib/format.ts";
import { timeAxisTicks, TOOLTIP_STYLE } from "./chart-style.ts";

export function IngestChart({ points }: { points: Array<{ at: number; value: number }> }) {
  if (points.length === 0) {
    return (
      <div className="empty" data-testid="ingest-chart-empty">
        No ingest samples yet. The rate appears here once events flow and the worker has rolled up telemetry.
      </div>
    );
  }
  return (
    <div className="chart" data-testid="ingest-chart" role="img" aria-label={`Ingest rate over time, latest ${formatRate(points[points.length - 1]!.value)}`}>
      <ResponsiveContainer width="100%" height="100%">
        <AreaChart data={points} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          <defs>
            <linearGradient id="ingestFill" x1="0" y1="0" x2="0" y2="1">
              <stop offset="0%" stopColor="var(--accent)" stopOpacity={0.35} />
              <stop offset="100%" stopColor="var(--accent)" stopOpacity={0.02} />
            </linearGradient>
          </defs>
          <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
          <XAxis
            dataKey="at"
            type="number"
            scale="time"
            domain={["dataMin", "dataMax"]}
            {...timeAxisTicks(points.map((p) => p.at))}
            stroke="var(--text-muted)"
            fontSize={11}
            minTickGap={40}
          />
          <YAxis stroke="var(--text-muted)" fontSize={11} width={48} tickFormatter={(v: number) => formatRate(v)} />
          <Tooltip
            labelFormatter={(v) => formatTime(Number(v))}
            formatter={(v) => [formatRate(Number(v)), "events"]}
            contentStyle={TOOLTIP_STYLE}
          />
          <Area type="monotone" dataKey="value" stroke="var(--accent)" strokeWidth={2} fill="url(#ingestFill)" isAnimationActive={false} />
        </AreaChart>
      </ResponsiveContainer>
    </div>
  );
}
