"use client";
import { useEffect, useState } from "react";
import { CartesianGrid, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatNumber, formatTime, plural } from "../../../../../lib/format.ts";
import { secondsTick } from "./checkpoint-chart.tsx";
import { extent, timeTicks, TOOLTIP_STYLE } from "../../../../../components/charts/chart-style.ts";

export interface LagSample {
  at: number;
  lagEvents: number;
  lagSeconds: number;
}

// Only the latest measurement per shardlet is stored, so the history is what this page has seen
// since it opened; a day of samples every few seconds stays small.
const MAX_SAMPLES = 2_000;

/** The group's total lag each time the checkpoint job measured it, collected while the page is open. */
export function useLagSamples(assignments: ReadonlyArray<{ lagEvents: number | null; lagSeconds: number | null; lagAt: Date | null }> | undefined): LagSample[] {
  const [samples, setSamples] = useState<LagSample[]>([]);
  useEffect(() => {
    if (!assignments) return;
    const measured = assignments.filter((a) => a.lagAt !== null && a.lagEvents !== null);
    if (measured.length === 0) return;
    const at = Math.max(...measured.map((a) => a.lagAt!.getTime()));
    const sample = {
      at,
      lagEvents: measured.reduce((n, a) => n + (a.lagEvents ?? 0), 0),
      lagSeconds: Math.max(...measured.map((a) => a.lagSeconds ?? 0)),
    };
    // Refetches between two measurements repeat the same figures: one point per measurement.
    setSamples((old) => (old.length > 0 && old[old.length - 1]!.at >= at ? old : [...old, sample].slice(-MAX_SAMPLES)));
  }, [assignments]);
  return samples;
}

export function LagChart({ samples }: { samples: LagSample[] }) {
  if (samples.length === 0) {
    return (
      <div className="empty" data-testid="lag-chart-empty">
        Lag not measured yet. The checkpoint job measures it every few seconds; this chart follows it while the page is open.
      </div>
    );
  }
  const latest = samples[samples.length - 1]!;
  const domain = extent(samples.map((s) => s.at));
  return (
    <div className="chart" data-testid="lag-chart" role="img" aria-label={`Lag since this page was opened, latest ${plural(latest.lagEvents, "event")} behind`}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={samples} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="at" type="number" domain={domain} ticks={timeTicks(...domain)} tickFormatter={(v: number) => formatTime(v)} stroke="var(--text-muted)" fontSize={11} minTickGap={40} />
          <YAxis
            yAxisId="events"
            allowDecimals={false}
            stroke="var(--text-muted)"
            fontSize={11}
            width={68}
            tickFormatter={(v: number) => formatNumber(v)}
            label={{ value: "events behind", angle: -90, position: "insideLeft", style: { textAnchor: "middle", fill: "var(--text-muted)", fontSize: 11 } }}
          />
          <YAxis
            yAxisId="seconds"
            orientation="right"
            stroke="var(--text-muted)"
            fontSize={11}
            width={60}
            tickFormatter={secondsTick}
            label={{ value: "oldest unconsumed", angle: 90, position: "insideRight", style: { textAnchor: "middle", fill: "var(--text-muted)", fontSize: 11 } }}
          />
          <Tooltip
            labelFormatter={(v) => formatTime(Number(v))}
            formatter={(v, name) => (name === "lagEvents" ? [formatNumber(Number(v)), "events behind"] : [`${Number(v).toFixed(1)} s`, "oldest unconsumed"])}
            contentStyle={TOOLTIP_STYLE}
          />
          <Line yAxisId="events" type="stepAfter" dataKey="lagEvents" stroke="var(--accent)" strokeWidth={2} dot={samples.length < 3} isAnimationActive={false} />
          <Line yAxisId="seconds" type="stepAfter" dataKey="lagSeconds" stroke="var(--text-muted)" strokeDasharray="4 3" dot={false} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
