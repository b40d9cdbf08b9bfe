"use client";
import { useRef, useState, type CSSProperties, type FocusEvent, type MouseEvent } from "react";
import type { inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "@shardcast/api";
import { formatRate, formatTime } from "../../../lib/format.ts";
import { healthLegend, healthSummary, scoredHealth, TONE_BADGE, TONE_COLOUR, type ShardletHealth } from "../../../lib/health-colour.ts";
import { FORECAST_STRIPES, heatColor, heatLevel, legendTicks } from "./heat-scale.ts";
import type { PreallocMark } from "./prealloc-marks.ts";
import { PreallocMarker } from "./prealloc-overlay.tsx";

export type HeatmapCells = inferRouterOutputs<AppRouter>["heatmap"]["cells"];
type Row = HeatmapCells["rows"][number];

interface Hover {
  row: number;
  col: number;
  left: number;
  top: number;
}

const ROW_HEIGHT = 18;

function label(r: Row, showStream: boolean): string {
  return `${showStream ? `${r.streamName} ` : ""}${r.range.loHex}–${r.range.lastHex}`;
}

/** Every Nth column gets a time label: about eight labels across the map. */
function labelEvery(columns: number): number {
  return Math.max(1, Math.ceil(columns / 8));
}

/** What the threshold of a map is called: writes overload a shardlet, reads make it a replica candidate. */
export const thresholdName = (metric: "writes" | "reads") => (metric === "reads" ? "replica threshold" : "overload threshold");

export function HeatmapLegend({ threshold, metric }: { threshold: number; metric: "writes" | "reads" }) {
  const ticks = legendTicks(threshold);
  const stops = Array.from({ length: 24 }, (_, i) => heatColor(Math.expm1((i / 23) * Math.log1p(threshold)), threshold));
  return (
    <div className="toolbar" data-testid="heatmap-legend" aria-label="Colour scale">
      <div style={{ display: "flex", flexDirection: "column", gap: 2, minWidth: 260 }}>
        <div style={{ height: 12, borderRadius: 3, border: "1px solid var(--border)", background: `linear-gradient(90deg, ${stops.join(", ")})` }} />
        <div style={{ position: "relative", height: 14, fontSize: 11 }} className="muted">
          {ticks.map((t) => (
            <span key={t} style={{ position: "absolute", left: `${heatLevel(t, threshold) * 100}%`, transform: "translateX(-50%)", whiteSpace: "nowrap" }}>
              {t === threshold ? `${formatRate(t)} ${metric === "reads" ? "replica" : "overload"}` : formatRate(t)}
            </span>
          ))}
        </div>
      </div>
      <span className="chip">
        <span style={{ display: "inline-block", width: 10, height: 10, background: heatColor(threshold / 3, threshold), marginRight: 4, verticalAlign: "-1px" }} />
        actual (telemetry)
      </span>
      <span className="chip">
        <span
          style={{
            display: "inline-block",
            width: 10,
            height: 10,
            background: `${FORECAST_STRIPES}, ${heatColor(threshold / 3, threshold)}`,
            marginRight: 4,
            verticalAlign: "-1px",
          }}
        />
        forecast
      </span>
    </div>
  );
}

/** The health bands cells are coloured by when the map shows health instead of load. */
export function HealthLegend({ health }: { health: ShardletHealth }) {
  return (
    <div className="toolbar" data-testid="health-legend" aria-label="Health colours">
      {healthLegend(health.threshold).map((b) => (
        <span key={b.tone} className={`badge ${TONE_BADGE[b.tone]}`}>
          {b.label}
        </span>
      ))}
      <span className="muted">
        {health.profilerEnabled ? "Each row in its shardlet's current score, against its stream's threshold." : "The profiler is disabled: scores rest on load and size alone."}
      </span>
    </div>
  );
}

/**
 * Time x shardlet: one row per shardlet, one column per step, the actual past left of the "now"
 * line and the forecast right of it. A cell's colour is its write rate on a logarithmic scale that
 * turns red at the overload threshold. Clicking a cell opens the shardlet.
 */
export function HeatmapGrid({
  data,
  selectedId,
  onSelect,
  showStream,
  health,
  prealloc,
}: {
  data: HeatmapCells;
  selectedId: string | null;
  onSelect: (shardletId: string) => void;
  showStream: boolean;
  /** Colour every cell of a row by the shardlet's health score instead of the step's load. */
  health?: ShardletHealth | null;
  /** Shardlets with an open or recent pre-allocation get a mark in their row header. */
  prealloc?: ReadonlyMap<string, PreallocMark>;
}) {
  const box = useRef<HTMLDivElement>(null);
  const [hover, setHover] = useState<Hover | null>(null);
  const columns = data.times.length;
  const firstForecast = data.kinds.indexOf("forecast");
  const every = labelEvery(columns);
  const lastActual = firstForecast === -1 ? columns - 1 : firstForecast - 1;
  const grid: CSSProperties = {
    display: "grid",
    gridTemplateColumns: `max-content repeat(${columns}, minmax(6px, 1fr))`,
    gridAutoRows: `${ROW_HEIGHT}px`,
    columnGap: 1,
    rowGap: 1,
    alignItems: "stretch",
  };
  const showTip = (row: number, col: number) => (e: MouseEvent<HTMLButtonElement> | FocusEvent<HTMLButtonElement>) => {
    const cell = e.currentTarget.getBoundingClientRect();
    const outer = box.current?.getBoundingClientRect();
    if (!outer) return;
    setHover({ row, col, left: cell.left - outer.left + cell.width / 2, top: cell.top - outer.top });
  };
  const tipRow = hover ? data.rows[hover.row] : undefined;
  const tipValue = hover && tipRow ? tipRow.values[hover.col] : null;
  const healthOf = (r: Row) => health?.byId.get(r.shardletId);
  // Health is a score of now, not of each step: in health mode a row is one colour.
  const healthColour = (r: Row) => {
    if (!health) return null;
    const scored = scoredHealth(health, r.shardletId, r.streamName);
    return scored ? TONE_COLOUR[scored.tone] : "var(--surface-muted)";
  };
  const tipHealth = tipRow ? healthOf(tipRow) : undefined;

  return (
    // The tooltip lives outside the scrolling box, which would clip it above the first row.
    <div ref={box} style={{ position: "relative" }} onMouseLeave={() => setHover(null)}>
      <div style={{ overflowX: "auto" }}>
        <div role="grid" aria-label="Shardlet load over time" aria-rowcount={data.rows.length + 1} style={grid} data-testid="heatmap-grid">
          <div role="row" style={{ display: "contents" }}>
            <div role="columnheader" className="muted" style={{ fontSize: 11, alignSelf: "end" }}>
              Shardlet {showStream ? "(stream, hash range)" : "(hash range)"} · host
            </div>
            {data.times.map((t, i) => (
              <div
                key={t}
                role="columnheader"
                aria-label={`${data.kinds[i]} ${formatTime(t)}`}
                style={{
                  fontSize: 10.5,
                  whiteSpace: "nowrap",
                  overflow: "visible",
                  alignSelf: "end",
                  color: i === firstForecast ? "var(--text)" : "var(--text-muted)",
                  fontWeight: i === firstForecast ? 650 : 400,
                  borderLeft: i === firstForecast ? "2px solid var(--text)" : undefined,
                  paddingLeft: i === firstForecast ? 2 : 0,
                }}
                data-testid={i === firstForecast ? "heatmap-now" : undefined}
              >
                {i === firstForecast ? "now ▸ forecast" : i % every === 0 && i + every <= (firstForecast === -1 ? columns : firstForecast) ? formatTime(t) : ""}
              </div>
            ))}
          </div>
          {data.rows.map((r, ri) => (
            <div
              key={r.shardletId}
              role="row"
              style={{ display: "contents" }}
              data-testid="heatmap-row"
              data-shardlet={r.shardletId}
              data-selected={r.shardletId === selectedId || undefined}
              data-prealloc={prealloc?.get(r.shardletId)?.state}
            >
              <div
                role="rowheader"
                className="mono nowrap"
                style={{
                  fontSize: 11.5,
                  display: "flex",
                  alignItems: "center",
                  gap: 6,
                  paddingRight: 6,
                  fontWeight: r.shardletId === selectedId ? 700 : 400,
                }}
                title={`${r.streamName} ${r.range.loHex}–${r.range.lastHex} on ${r.hostName} (${r.state})${healthOf(r) ? `\n${healthSummary(healthOf(r)!)}` : ""}`}
              >
                <span>{label(r, showStream)}</span>
                <span className="muted" style={{ fontFamily: "var(--font-sans)" }}>
                  {r.hostName}
                </span>
                {r.proposal ? (
                  <span className="badge badge-warn" style={{ fontSize: 10, padding: "0 4px" }} title={`open ${r.proposal} proposal`}>
                    {r.proposal}
                  </span>
                ) : null}
                {r.untrusted ? (
                  <span className="badge" style={{ fontSize: 10, padding: "0 4px" }} title={`forecast not trusted: ${r.untrusted}; planned on its observed rate`} data-testid="heatmap-untrusted">
                    untrusted
                  </span>
                ) : null}
                {prealloc?.has(r.shardletId) ? <PreallocMarker mark={prealloc.get(r.shardletId)!} /> : null}
              </div>
              {r.values.map((v, ci) => {
                const kind = data.kinds[ci]!;
                const empty = v === null;
                const byHealth = healthColour(r);
                const color = empty ? "transparent" : (byHealth ?? heatColor(v, data.threshold));
                const over = !empty && !byHealth && v >= data.threshold;
                return (
                  <button
                    key={ci}
                    type="button"
                    role="gridcell"
                    tabIndex={ci === lastActual ? 0 : -1}
                    disabled={empty}
                    aria-label={`${label(r, true)} at ${formatTime(data.times[ci]!)}: ${empty ? "no data" : formatRate(v)} (${kind})`}
                    onClick={() => onSelect(r.shardletId)}
                    onMouseEnter={showTip(ri, ci)}
                    onFocus={showTip(ri, ci)}
                    onBlur={() => setHover(null)}
                    data-testid="heatmap-cell"
                    data-kind={kind}
                    data-value={empty ? "" : v.toFixed(3)}
                    data-shardlet={r.shardletId}
                    data-health={healthOf(r)?.score.toFixed(3)}
                    style={{
                      padding: 0,
                      margin: 0,
                      minWidth: 0,
                      border: "none",
                      borderRadius: 0,
                      cursor: empty ? "default" : "pointer",
                      background: empty ? "var(--surface-muted)" : kind === "forecast" ? `${FORECAST_STRIPES}, ${color}` : color,
                      opacity: empty ? 0.4 : 1,
                      outline: over ? "1px solid var(--danger)" : undefined,
                      outlineOffset: -1,
                      boxShadow: ci === firstForecast ? "inset 2px 0 0 var(--text)" : undefined,
                    }}
                  />
                );
              })}
            </div>
          ))}
        </div>
      </div>
      {hover && tipRow ? (
        <div
          role="tooltip"
          data-testid="heatmap-tooltip"
          style={{
            position: "absolute",
            left: Math.max(90, hover.left),
            top: Math.max(0, hover.top - 8),
            transform: "translate(-50%, -100%)",
            background: "var(--surface)",
            border: "1px solid var(--border)",
            borderRadius: 6,
            boxShadow: "var(--shadow)",
            padding: "6px 8px",
            fontSize: 12,
            pointerEvents: "none",
            whiteSpace: "nowrap",
            zIndex: 5,
          }}
        >
          <div className="mono">{label(tipRow, true)}</div>
          <div className="muted">
            {tipRow.hostName} · {formatTime(data.times[hover.col]!)} · {data.kinds[hover.col] === "forecast" ? "forecast" : "actual"}
          </div>
          <div>
            <strong>{tipValue === null || tipValue === undefined ? "no data" : formatRate(tipValue)}</strong>
            {tipValue !== null && tipValue !== undefined ? <span className="muted">
                {" "}
                · {Math.round((tipValue / data.threshold) * 100)}% of the {thresholdName(data.metric)}
              </span> : null}
          </div>
          {tipHealth ? (
            <div style={{ whiteSpace: "normal", maxWidth: 360 }} data-testid="heatmap-tooltip-health">
              {healthSummary(tipHealth)}
            </div>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}
