"use client";
import { componentLabel, formatScore, healthSummary, TONE_BADGE, TONE_COLOUR, TONE_SOFT, type scoredHealth } from "../../../lib/health-colour.ts";

type Scored = ReturnType<typeof scoredHealth>;

/** A scored row is tinted with its band's soft colour, edged with the strong one, and titled with its weakest component. */
export function healthRowProps(h: Scored) {
  return h ? { style: { background: TONE_SOFT[h.tone], boxShadow: `inset 4px 0 0 ${TONE_COLOUR[h.tone]}` }, title: healthSummary(h.score) } : {};
}

/** The score in its band's colour, with the component that pulled it down. */
export function HealthBadge({ h, pending }: { h: Scored; pending: boolean }) {
  if (!h) return <span className="muted">{pending ? "…" : "not scored"}</span>;
  return (
    <>
      <span className={`badge ${TONE_BADGE[h.tone]}`} title={healthSummary(h.score)} data-tone={h.tone}>
        {formatScore(h.score.score)}
      </span>
      <span className="lineage">{h.score.weakest ? componentLabel(h.score.weakest) : "no weak component"}</span>
    </>
  );
}
