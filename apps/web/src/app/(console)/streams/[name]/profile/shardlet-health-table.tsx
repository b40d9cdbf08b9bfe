"use client";
import { useMemo, useState } from "react";
import { columns } from "../../../../../components/data-table-columns.tsx";
import { DataTable } from "../../../../../components/data-table.tsx";
import { StatusBadge } from "../../../../../components/ui.tsx";
import { formatNumber, formatRate } from "../../../../../lib/format.ts";
import { componentLabel, formatScore, hashRange, healthTone, TONE_BADGE, TONE_COLOUR, type HealthScore } from "../../../../../lib/health-colour.ts";
import type { ShardletHealthRow } from "./types.ts";

/** Every component on one line each, for the score's title. */
const componentsTitle = (h: HealthScore) => h.components.map((c) => `${componentLabel(c.name)} ${formatScore(c.score)}: ${c.detail}`).join("\n");

export function ScoreBadge({ health, threshold, testId }: { health: HealthScore; threshold: number; testId?: string }) {
  const tone = healthTone(health.score, threshold);
  return (
    <span className={`badge ${TONE_BADGE[tone]}`} title={componentsTitle(health)} data-tone={tone} data-testid={testId}>
      {formatScore(health.score)}
    </span>
  );
}

/** A component's score as a short bar, coloured against the same threshold as the total. */
function ComponentBar({ score, threshold }: { score: number; threshold: number }) {
  return (
    <div className="bar" style={{ width: 120 }} role="meter" aria-valuemin={0} aria-valuemax={1} aria-valuenow={score} aria-label="component score">
      <div className="bar-fill" style={{ width: `${Math.max(0, Math.min(1, score)) * 100}%`, background: TONE_COLOUR[healthTone(score, threshold)] }} />
    </div>
  );
}

function Components({ health, threshold }: { health: HealthScore; threshold: number }) {
  return (
    <table className="dense" data-testid="health-components">
      <tbody>
        {health.components.map((c) => (
          <tr key={c.name} data-testid="health-component" data-name={c.name}>
            <td>
              {c.name === health.weakest ? <strong>{componentLabel(c.name)}</strong> : componentLabel(c.name)}
            </td>
            <td className="num">{formatScore(c.score)}</td>
            <td>
              <ComponentBar score={c.score} threshold={threshold} />
            </td>
            <td className="wrap">{c.detail}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Weakest({ s, open, onToggle }: { s: ShardletHealthRow; open: boolean; onToggle: () => void }) {
  const weakest = s.health.weakest ? s.health.components.find((c) => c.name === s.health.weakest) : undefined;
  return (
    <>
      {weakest ? (
        <>
          <strong data-testid="health-weakest">{componentLabel(weakest.name)}</strong> <span className="muted">{weakest.detail}</span>
        </>
      ) : (
        <span className="muted" data-testid="health-weakest">
          none: every component scores 1
        </span>
      )}{" "}
      <button type="button" className="link" onClick={onToggle} aria-expanded={open} data-testid="health-row-toggle">
        {open ? "hide components" : "all components"}
      </button>
    </>
  );
}

/** Each live shardlet's score against the stream's threshold, with what pulled it down; a row opens to every component. */
export function ShardletHealthTable({
  shardlets,
  threshold,
  selectedId,
  onSelect,
}: {
  shardlets: readonly ShardletHealthRow[];
  threshold: number;
  selectedId: string | null;
  onSelect: (id: string) => void;
}) {
  const [open, setOpen] = useState<ReadonlySet<string>>(new Set());
  // Hash order until a header is clicked.
  const sorted = useMemo(() => [...shardlets].sort((a, b) => a.lo - b.lo), [shardlets]);
  const toggle = (id: string) =>
    setOpen((old) => {
      const next = new Set(old);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  const cols = columns<ShardletHealthRow>([
    {
      id: "range",
      header: "Hash range",
      sortBy: (s) => s.lo,
      cell: (s) => (
        <button type="button" className="link mono" onClick={() => onSelect(s.id)} title={`${s.id}: show where its writes fall`} data-testid="health-row-select">
          {hashRange(s.lo, s.hi)}
        </button>
      ),
    },
    { id: "host", header: "Host", sortBy: (s) => s.hostName, cell: (s) => s.hostName },
    { id: "state", header: "State", sortBy: (s) => s.state, cell: (s) => <StatusBadge status={s.state} /> },
    { id: "writes", header: "Writes", className: "num", sortBy: (s) => s.writeRate, cell: (s) => formatRate(s.writeRate) },
    {
      id: "peak",
      header: "Predicted peak",
      title: "Forecast peak over the analyzer's horizon",
      className: "num",
      sortBy: (s) => s.predictedPeak,
      cell: (s) => (s.predictedPeak === null ? <span className="muted">—</span> : formatRate(s.predictedPeak)),
    },
    {
      id: "sampled",
      header: "Sampled",
      title: "Sampled events in the profile window",
      className: "num",
      sortBy: (s) => s.profile?.sampled,
      cell: (s) => (s.profile ? formatNumber(s.profile.sampled) : <span className="muted">—</span>),
    },
    { id: "health", header: "Health", sortBy: (s) => s.health.score, cell: (s) => <ScoreBadge health={s.health} threshold={threshold} testId="health-score" /> },
    { id: "weakest", header: "Weakest component", td: { className: "wrap" }, sortBy: (s) => s.health.weakest, cell: (s) => <Weakest s={s} open={open.has(s.id)} onToggle={() => toggle(s.id)} /> },
  ]);
  return (
    <DataTable
      rows={sorted}
      columns={cols}
      rowKey={(s) => s.id}
      testId="health-table"
      className="dense"
      rowProps={(s) => ({
        "data-testid": "health-row",
        "data-id": s.id,
        "data-score": s.health.score.toFixed(3),
        "aria-selected": s.id === selectedId,
        className: s.id === selectedId ? "selected" : undefined,
      })}
      details={(s) => (open.has(s.id) ? <Components health={s.health} threshold={threshold} /> : null)}
      empty="This stream has no live shardlet."
      emptyProps={{ "data-testid": "health-table-empty" }}
    />
  );
}
