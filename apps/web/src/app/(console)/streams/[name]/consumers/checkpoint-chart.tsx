"use client";
import { CartesianGrid, ResponsiveContainer, Scatter, ScatterChart, Tooltip, XAxis, YAxis } from "recharts";
import { extent, timeTicks } from "../../../../../components/charts/chart-style.ts";
import { formatTime, plural } from "../../../../../lib/format.ts";

export interface CheckpointPoint {
  at: number;
  predictedReplaySec: number;
  reason: string;
  /** The shardlet as its hash range. */
  shardlet: string;
}

/** Axis ticks in seconds; whole seconds alone would label a 0..3 s axis "0 s, 1 s, 1 s, 2 s". */
export const secondsTick = (v: number) => `${v < 10 ? Number(v.toFixed(1)) : Math.round(v)} s`;

/** Every checkpoint of the window at its time, by the replay it was predicted to save. */
export function CheckpointChart({ points }: { points: CheckpointPoint[] }) {
  if (points.length === 0) {
    return (
      <div className="empty" data-testid="checkpoint-chart-empty">
        No checkpoints in this window. A shardlet is checkpointed when its predicted replay passes the threshold (or at the fixed interval); a quiet one is not.
      </div>
    );
  }
  const domain = extent(points.map((p) => p.at));
  return (
    <div className="chart" data-testid="checkpoint-chart" role="img" aria-label={`${plural(points.length, "checkpoint")} over time`}>
      <ResponsiveContainer width="100%" height="100%">
        <ScatterChart margin={{ top: 8, right: 12, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="at" type="number" domain={domain} ticks={timeTicks(...domain)} tickFormatter={(v: number) => formatTime(v)} stroke="var(--text-muted)" fontSize={11} minTickGap={40} />
          <YAxis dataKey="predictedReplaySec" type="number" stroke="var(--text-muted)" fontSize={11} width={48} tickFormatter={secondsTick} />
          <Tooltip
            content={({ payload }) => {
              const p = payload?.[0]?.payload as CheckpointPoint | undefined;
              return p ? (
                <div className="card" style={{ padding: 8, fontSize: 12 }}>
                  {formatTime(p.at)} · {p.shardlet}
                  <br />
                  {p.reason}
                </div>
              ) : null;
            }}
          />
          <Scatter data={points} fill="var(--accent)" isAnimationActive={false} />
        </ScatterChart>
      </ResponsiveContainer>
    </div>
  );
}
