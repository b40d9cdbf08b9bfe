"use client";
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, YAxis } from "recharts";
import { TOOLTIP_STYLE } from "../../../components/charts/chart-style.ts";
import { POLICY_COLORS, timeAxis, timeLabel, warmUpArea } from "./what-if-chart.tsx";

const FLOOR = "floor: load at full capacity";

/**
 * Paid hosts over time, one line per policy, beside the hosts the predictive capacity plan wanted
 * and the floor: the fewest hosts the load fills to capacity.
 */
export function HostsChart({
  points,
  policies,
  measuredFrom,
  relative,
}: {
  points: Array<{ t: number; values: Record<string, number>; needed: number | null; floor: number }>;
  policies: string[];
  measuredFrom: number;
  relative: boolean;
}) {
  const data = points.map((p) => ({ t: p.t, ...p.values, "plan: hosts needed": p.needed, [FLOOR]: p.floor }));
  const hasPlan = points.some((p) => p.needed !== null);
  const label = timeLabel(relative);
  return (
    <div className="chart" style={{ height: 260 }} data-testid="whatif-hosts-chart" role="img" aria-label="Hosts paid for over time for each policy, the hosts the capacity plan needed, and the floor">
      <ResponsiveContainer width="100%" height="100%">
        <LineChart data={data} margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
          {timeAxis(label)}
          <YAxis stroke="var(--text-muted)" fontSize={11} width={36} allowDecimals={false} domain={[0, (max: number) => Math.ceil(max) + 1]} />
          <Tooltip
            labelFormatter={(v) => label(Number(v))}
            formatter={(v, name) => [v === null || v === undefined ? "—" : Number(v).toFixed(1), String(name)]}
            contentStyle={TOOLTIP_STYLE}
          />
          <Legend />
          {warmUpArea(data, measuredFrom)}
          {policies.map((p) => (
            <Line key={p} type="stepAfter" dataKey={p} stroke={POLICY_COLORS[p] ?? "var(--accent)"} dot={false} strokeWidth={p === "predictive" ? 2 : 1.5} isAnimationActive={false} />
          ))}
          <Line type="stepAfter" dataKey={FLOOR} stroke="var(--text-muted)" strokeDasharray="1 3" dot={false} strokeWidth={1.5} isAnimationActive={false} />
          {hasPlan ? (
            <Line type="stepAfter" dataKey="plan: hosts needed" stroke="#8e44ad" strokeDasharray="4 3" dot={false} strokeWidth={1.5} connectNulls={false} isAnimationActive={false} />
          ) : null}
        </LineChart>
      </ResponsiveContainer>
    </div>
  );
}
