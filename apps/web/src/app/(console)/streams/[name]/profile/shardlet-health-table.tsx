"use client";
import { Fragment, useState } from "react";
import { StatusBadge } from "../../../../../components/ui.tsx";
import { formatNumber, formatRate } from "../../../../../lib/format.ts";
import { componentLabel, formatScore, hashRange, healthTone, TONE_BADGE, TONE_COLOUR, type HealthScore } from "../../../../../lib/health-colour.ts";
import type { ShardletHealthRow } from "./types.ts";

const COLUMNS = 8;

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
  const toggle = (id: string) =>
    setOpen((old) => {
      const next = new Set(old);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  if (shardlets.length === 0) {
    return (
      <p className="empty" data-testid="health-table-empty">
        This stream has no live shardlet.
      </p>
    );
  }
  const sorted = [...shardlets].sort((a, b) => a.lo - b.lo);
  return (
    <div className="table-wrap">
      <table className="dense" data-testid="health-table">
        <thead>
          <tr>
            <th scope="col">Hash range</th>
            <th scope="col">Host</th>
            <th scope="col">State</th>
            <th scope="col" className="num">
              Writes
            </th>
            <th scope="col" className="num" title="Forecast peak over the analyzer's horizon">
              Predicted peak
            </th>
            <th scope="col" className="num" title="Sampled events in the profile window">
              Sampled
            </th>
            <th scope="col">Health</th>
            <th scope="col">Weakest component</th>
          </tr>
        </thead>
        <tbody>
          {sorted.map((s) => {
            const weakest = s.health.weakest ? s.health.components.find((c) => c.name === s.health.weakest) : undefined;
            const isOpen = open.has(s.id);
            return (
              <Fragment key={s.id}>
                <tr
                  data-testid="health-row"
                  data-id={s.id}
                  data-score={s.health.score.toFixed(3)}
                  aria-selected={s.id === selectedId}
                  className={s.id === selectedId ? "selected" : undefined}
                >
                  <td>
                    <button type="button" className="link mono" onClick={() => onSelect(s.id)} title={`${s.id}: show where its writes fall`} data-testid="health-row-select">
                      {hashRange(s.lo, s.hi)}
                    </button>
                  </td>
                  <td>{s.hostName}</td>
                  <td>
                    <StatusBadge status={s.state} />
                  </td>
                  <td className="num">{formatRate(s.writeRate)}</td>
                  <td className="num">{s.predictedPeak === null ? <span className="muted">—</span> : formatRate(s.predictedPeak)}</td>
                  <td className="num">{s.profile ? formatNumber(s.profile.sampled) : <span className="muted">—</span>}</td>
                  <td>
                    <ScoreBadge health={s.health} threshold={threshold} testId="health-score" />
                  </td>
                  <td className="wrap">
                    {weakest ? (
                      <>
                        <strong data-testid="health-weakest">{componentLabel(weakest.name)}</strong> <span className="muted">{weakest.detail}</span>
                      </>
                    ) : (
                      <span className="muted" data-testid="health-weakest">
                        none: every component scores 1
                      </span>
                    )}{" "}
                    <button type="button" className="link" onClick={() => toggle(s.id)} aria-expanded={isOpen} data-testid="health-row-toggle">
                      {isOpen ? "hide components" : "all components"}
                    </button>
                  </td>
                </tr>
                {isOpen ? (
                  <tr>
                    <td colSpan={COLUMNS}>
                      <Components health={s.health} threshold={threshold} />
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
