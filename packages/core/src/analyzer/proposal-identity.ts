/**
 * When two planner proposals are "the same proposal", and when one an operator dismissed has
 * changed enough to be asked about again. The planners run every 30 s and re-derive their
 * proposals from scratch; without these an operator's click would meet a new id every run, and a
 * dismissal would last only until the next run.
 */

export interface ProposalIdentityInput {
  source: string;
  kind: string;
  streamId?: string | null;
  shardletId?: string | null;
  sourceHostId?: string | null;
  destHostId?: string | null;
  details?: Record<string, unknown> | null;
}

function part(v: unknown): string {
  return typeof v === "string" || typeof v === "number" ? String(v) : "";
}

/**
 * The proposal's identity: who proposes it, what it does and to what. The destination is part of
 * it, so an approval always acts on the move the operator saw (a run that picks another host makes
 * a new proposal) and a dismissed move to one host does not hold back a move to another. The range
 * is part of it because a split or merge that reuses a shardlet's id still changes what is cut or
 * moved. The figures (urgency, benefit, loads) are not: they wander from run to run.
 */
export function proposalIdentity(p: ProposalIdentityInput): string {
  return [p.source, p.kind, p.streamId, p.shardletId, part(p.details?.lo), part(p.details?.hi), p.sourceHostId, p.destHostId].map((v) => part(v)).join("|");
}

/** The figures a dismissal is judged against: taken when the proposal was last made. */
export interface ProposalFigures {
  /** When the figures were computed (the run's clock). */
  atMs: number;
  /** Seconds from `atMs` to the predicted overload (or to when a host must be asked for); null: no deadline. */
  urgencySec: number | null;
  benefit: number;
  /** The load the proposal answers: a shardlet's predicted peak, or the cluster's forecast load. */
  load: number | null;
}

export function proposalFigures(p: { urgencySec?: number | null; expectedBenefit?: number; details?: Record<string, unknown> | null }, atMs: number): ProposalFigures {
  const d = p.details ?? {};
  const load = typeof d.predictedPeak === "number" ? d.predictedPeak : typeof d.forecastClusterLoad === "number" ? d.forecastClusterLoad : null;
  return { atMs, urgencySec: p.urgencySec ?? null, benefit: p.expectedBenefit ?? 0, load };
}

/**
 * How far a dismissed proposal's figures must move before it is proposed again. Successive runs
 * forecast from a window that moved by one bucket, so their peaks and benefits wander by a few tens
 * of percent with nothing changed; a dismissal has to outlast that wander, or it lasts a few runs.
 * Half as much again is beyond the wander and still well before an overload the operator judged
 * bearable becomes one they would not.
 */
export const MATERIAL_CHANGE_FACTOR = 1.5;

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(2);
}

/**
 * Why a dismissed proposal should be asked about again, or null while the dismissal stands. Only
 * a change for the worse counts: a proposal whose load fell or whose deadline moved away is even
 * less needed than when the operator turned it down. Urgency is compared as a moment, not a
 * countdown: a forecast that still says "overload at 14:00" counts down by itself as the runs go
 * by, and that alone is not news; the overload being predicted much sooner than the dismissed
 * forecast said is.
 */
export function materialChange(dismissed: ProposalFigures, now: ProposalFigures, factor = MATERIAL_CHANGE_FACTOR): string | null {
  if (now.urgencySec !== null) {
    const leftThen = dismissed.urgencySec === null ? Infinity : dismissed.atMs / 1000 + dismissed.urgencySec - now.atMs / 1000;
    if (leftThen > 0 && now.urgencySec * factor < leftThen) {
      return dismissed.urgencySec === null
        ? `it now has a deadline (${fmt(now.urgencySec)} s) where it had none when dismissed`
        : `it is now due in ${fmt(now.urgencySec)} s where the dismissed forecast left ${fmt(leftThen)} s`;
    }
  }
  if (now.benefit > 0 && now.benefit > Math.max(0, dismissed.benefit) * factor) return `its benefit rose from ${fmt(dismissed.benefit)} to ${fmt(now.benefit)}`;
  if (now.load !== null && now.load > 0 && now.load > Math.max(0, dismissed.load ?? 0) * factor) return `its load rose from ${fmt(dismissed.load ?? 0)} to ${fmt(now.load)}`;
  return null;
}
