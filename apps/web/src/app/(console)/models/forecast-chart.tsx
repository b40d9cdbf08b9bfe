"use client";
import { useState } from "react";
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatMase, type ModelPreview } from "./types.ts";
import { TOOLTIP_STYLE } from "../../../components/charts/chart-style.ts";

interface Point {
  t: number;
  history?: number;
  actual?: number;
  forecast?: number;
  baseline?: number;
}

function formatValue(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return a >= 10 ? String(Math.round(v)) : v.toFixed(2);
}

/** Axis labels: dates and hours for hourly steps, clock time for short ones, step numbers without a calendar. */
function timeFormatter(stepMs: number, hasCalendar: boolean): (v: number) => string {
  if (!hasCalendar) return (v) => `step ${v}`;
  if (stepMs >= 3_600_000) {
    return (v) => new Date(v).toLocaleString("en-GB", { timeZone: "UTC", month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false });
  }
  return (v) => new Date(v).toLocaleTimeString("en-GB", { timeZone: "UTC", hour12: false });
}

/** History before the held-out window, then actual vs the model's forecast and seasonal naive's. */
export function ForecastChart({ preview }: { preview: ModelPreview }) {
  const [index, setIndex] = useState(0);
  const s = preview.series[Math.min(index, preview.series.length - 1)];
  if (!s) return <p className="empty">This version has no held-out forecast to show.</p>;
  const hasCalendar = s.startMs !== null;
  const at = (i: number) => (s.startMs !== null ? s.startMs + i * preview.stepMs : i);
  const points: Point[] = [];
  s.history.forEach((v, i) => points.push({ t: at(i), history: v }));
  const cut = s.history.length;
  // The forecast lines start at the last observation, so they join the history visually.
  const last = points[points.length - 1];
  if (last) Object.assign(last, { forecast: last.history, baseline: last.history, actual: last.history });
  s.actual.forEach((v, i) => points.push({ t: at(cut + i), actual: v, forecast: s.predicted[i], baseline: s.baseline[i] }));
  const fmt = timeFormatter(preview.stepMs, hasCalendar);
  return (
    <div>
      {preview.series.length > 1 ? (
        <div className="segmented" role="group" aria-label="Series" style={{ marginBottom: 8 }}>
          {preview.series.map((x, i) => (
            <button key={x.name} type="button" aria-pressed={i === index} onClick={() => setIndex(i)} data-testid="forecast-series">
              {x.name.length > 28 ? `${x.name.slice(0, 26)}…` : x.name}
            </button>
          ))}
        </div>
      ) : null}
      <div className="chips" style={{ marginBottom: 8 }} data-testid="forecast-figures">
        <span className="chip">
          series <b>{s.name}</b>
        </span>
        <span className="chip">
          MASE <b>{formatMase(s.mase)}</b>
        </span>
        <span className="chip">
          seasonal naive MASE <b>{formatMase(s.baselineMase)}</b>
        </span>
        <span className="chip">
          held out <b>{preview.holdout}</b> steps, season <b>{preview.period}</b>
        </span>
      </div>
      <div className="chart" style={{ height: 280 }} data-testid="model-forecast-chart" role="img" aria-label={`Forecast against actual on the held-out window of ${s.name}`}>
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={points} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="t" type="number" domain={["dataMin", "dataMax"]} tickFormatter={fmt} stroke="var(--text-muted)" fontSize={11} minTickGap={50} />
            <YAxis stroke="var(--text-muted)" fontSize={11} width={52} tickFormatter={formatValue} />
            <Tooltip
              labelFormatter={(v) => fmt(Number(v))}
              formatter={(v, name) => [v === null || v === undefined ? "—" : formatValue(Number(v)), String(name)]}
              contentStyle={TOOLTIP_STYLE}
            />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <ReferenceLine x={at(cut - 1)} stroke="var(--text)" strokeWidth={1.5} label={{ value: "held out from", position: "insideTopLeft", fontSize: 11, fill: "var(--text-muted)" }} />
            <Line name="history" type="monotone" dataKey="history" stroke="var(--text-muted)" strokeWidth={1.5} dot={false} isAnimationActive={false} />
            <Line name="actual" type="monotone" dataKey="actual" stroke="var(--accent)" strokeWidth={2} dot={false} isAnimationActive={false} />
            <Line name="forecast" type="monotone" dataKey="forecast" stroke="var(--warn)" strokeWidth={2} strokeDasharray="6 3" dot={false} isAnimationActive={false} />
            <Line name="seasonal naive" type="monotone" dataKey="baseline" stroke="var(--danger)" strokeWidth={1} strokeDasharray="2 3" dot={false} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
    </div>
  );
}
