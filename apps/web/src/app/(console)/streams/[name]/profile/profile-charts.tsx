"use client";
import { Bar, BarChart, CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatNumber, formatPct, formatTime } from "../../../../../lib/format.ts";
import { sortTopValues } from "./top-values.ts";
import type { Profile } from "./types.ts";
import { timeAxisTicks, TOOLTIP_STYLE } from "../../../../../components/charts/chart-style.ts";

const binStart = (i: number, bins: number) => formatPct(i / bins);

/**
 * Where in a shardlet's hash range its sampled writes fall, in equal bins. An even spread means a
 * split at the middle halves the load; a lopsided one moves the useful split point, marked by the median.
 */
export function KeyBinsChart({ profile, range }: { profile: Profile | null; range: string }) {
  const bins = profile?.keyBins ?? [];
  const total = bins.reduce((a, b) => a + b, 0);
  if (!profile || total === 0) {
    return (
      <div className="empty" data-testid="key-bins-empty">
        No sampled writes on shardlet <span className="mono">{range}</span> in the profile window.
      </div>
    );
  }
  const data = bins.map((count, bin) => ({ bin, count }));
  const median = profile.keyMedianPosition;
  const medianBin = median === null ? null : Math.min(bins.length - 1, Math.floor(median * bins.length));
  return (
    <>
      <div
        className="chart"
        data-testid="key-bins-chart"
        role="img"
        aria-label={`Sampled writes across ${range} in ${bins.length} bins${median === null ? "" : `, median at ${formatPct(median)} of the range`}`}
      >
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} margin={{ top: 16, right: 12, bottom: 0, left: 0 }} barCategoryGap={1}>
            <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="bin" stroke="var(--text-muted)" fontSize={11} interval={7} tickFormatter={(i: number) => binStart(i, bins.length)} />
            <YAxis allowDecimals={false} stroke="var(--text-muted)" fontSize={11} width={44} tickFormatter={(v: number) => formatNumber(v)} />
            <Tooltip
              labelFormatter={(i) => `${binStart(Number(i), bins.length)}–${binStart(Number(i) + 1, bins.length)} of the range`}
              formatter={(v) => [`${formatNumber(Number(v))} (${formatPct(Number(v) / total)})`, "sampled writes"]}
              contentStyle={TOOLTIP_STYLE}
            />
            <Bar dataKey="count" fill="var(--accent)" isAnimationActive={false} />
            {medianBin !== null ? (
              <ReferenceLine x={medianBin} stroke="var(--warn)" strokeWidth={2} label={{ value: "median", position: "top", fontSize: 11, fill: "var(--warn)" }} />
            ) : null}
          </BarChart>
        </ResponsiveContainer>
      </div>
      <p className="muted" style={{ fontSize: 12, margin: "6px 0 0" }} data-testid="key-bins-median">
        Shardlet <span className="mono">{range}</span>: {formatNumber(total)} sampled writes
        {median === null ? "" : `, half of them in the first ${formatPct(median)} of its range`}.
      </p>
    </>
  );
}

/** Sampled events per five-minute bucket: whether the profiler is seeing traffic at all. */
export function ActivityChart({ points }: { points: ReadonlyArray<{ t: number; sampled: number }> }) {
  if (points.length === 0) {
    return (
      <div className="empty" data-testid="activity-empty">
        Nothing sampled in the last hours.
      </div>
    );
  }
  return (
    <div className="chart" style={{ height: 200 }} data-testid="activity-chart" role="img" aria-label={`Sampled events per 5 minutes, ${points.length} buckets`}>
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={points} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="t" type="number" scale="time" domain={["dataMin", "dataMax"]} {...timeAxisTicks(points.map((p) => p.t))} stroke="var(--text-muted)" fontSize={11} minTickGap={40} />
          <YAxis allowDecimals={false} stroke="var(--text-muted)" fontSize={11} width={48} tickFormatter={(v: number) => formatNumber(v)} />
          <Tooltip labelFormatter={(v) => formatTime(Number(v))} formatter={(v) => [formatNumber(Number(v)), "sampled events"]} contentStyle={TOOLTIP_STYLE} />
          <Line type="monotone" dataKey="sampled" stroke="var(--accent)" strokeWidth={2} dot={points.length < 3} isAnimationActive={false} />
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}

// Long values would squeeze the bars out of a card's width.
const clip = (v: string) => (v.length > 18 ? `${v.slice(0, 17)}…` : v);

/** A field's most common values by their share of the present values, largest first. */
export function TopValuesChart({ values, label }: { values: ReadonlyArray<{ value: string; share: number }>; label: string }) {
  if (values.length === 0) return <p className="empty">No values seen.</p>;
  const data = sortTopValues(values).slice(0, 8).map((v) => ({ value: v.value, name: clip(v.value), share: v.share }));
  return (
    <div
      className="chart"
      style={{ height: 40 + data.length * 22 }}
      data-testid="top-values-chart"
      role="img"
      aria-label={`Most common values of ${label}: ${data.map((d) => `${d.value} ${formatPct(d.share)}`).join(", ")}`}
    >
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} layout="vertical" margin={{ top: 4, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" horizontal={false} />
          <XAxis type="number" domain={[0, "auto"]} stroke="var(--text-muted)" fontSize={11} tickFormatter={(v: number) => formatPct(v)} />
          <YAxis type="category" dataKey="name" stroke="var(--text-muted)" fontSize={11} width={110} />
          <Tooltip
            labelFormatter={(_, payload) => String((payload?.[0]?.payload as { value?: string } | undefined)?.value ?? "")}
            formatter={(v) => [formatPct(Number(v)), "share"]}
            contentStyle={TOOLTIP_STYLE}
          />
          <Bar dataKey="share" fill="var(--accent)" isAnimationActive={false} />
        </BarChart>
      </ResponsiveContainer>
    </div>
  );
}
