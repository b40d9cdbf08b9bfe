import { holtWinters } from "../forecast/holt-winters.ts";
import type { ConsumerSettings } from "./settings.ts";

/**
 * Predictive checkpointing (seed 004): a checkpoint is worth taking when a crash now would cost
 * more replay than the operator accepts. Recovery cost = (events processed since the durable
 * checkpoint + events forecast to arrive over the horizon) x the group's measured per-event
 * processing time. A quiet shardlet never reaches the threshold and is not checkpointed at all;
 * a surging one reaches it quickly. The bound (`maxReplaySec`) holds in every mode: if the
 * arrivals expected before the next decision would take the replay past it, checkpoint now.
 */
export interface CheckpointInput {
  mode: "predictive" | "fixed";
  settings: ConsumerSettings;
  eventsSinceCheckpoint: number;
  secondsSinceCheckpoint: number;
  /** Events/s expected over the prediction horizon. */
  forecastRate: number;
  /**
   * Events/s just observed. A surge the forecast has not caught up with is already visible here;
   * the expected arrivals use the larger of the two, so a surge never takes the replay past the
   * bound because the forecast lagged.
   */
  recentRate?: number;
  replaySecPerEvent: number;
  /** Time until this decision is taken again. */
  decisionIntervalSec: number;
  /** The committed cursor is ahead of the durable one. */
  progressed: boolean;
}

export interface CheckpointDecision {
  checkpoint: boolean;
  reason: string;
  currentReplaySec: number;
  predictedReplaySec: number;
  trigger: "predicted" | "bound" | "interval" | "none";
}

/** Seconds for a reason text: one decimal under 10, whole above. */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return "∞ s";
  return s < 10 ? `${(Math.round(s * 10) / 10).toString()} s` : `${Math.round(s).toString()} s`;
}

export function decideCheckpoint(input: CheckpointInput): CheckpointDecision {
  const { settings: st } = input;
  const finite = (v: number | undefined) => (v !== undefined && Number.isFinite(v) ? Math.max(0, v) : 0);
  const rate = Math.max(finite(input.forecastRate), finite(input.recentRate));
  const perEvent = Math.max(0, input.replaySecPerEvent);
  const events = Math.max(0, input.eventsSinceCheckpoint);
  const currentReplaySec = events * perEvent;
  const predictedReplaySec = (events + rate * st.predictionHorizonSec) * perEvent;
  const base = { currentReplaySec, predictedReplaySec };
  if (!input.progressed) return { ...base, checkpoint: false, trigger: "none", reason: "no progress since the last checkpoint" };
  const beforeNext = (events + rate * input.decisionIntervalSec) * perEvent;
  if (beforeNext > st.maxReplaySec) {
    return { ...base, checkpoint: true, trigger: "bound", reason: `replay would pass the ${formatSeconds(st.maxReplaySec)} bound before the next decision (${formatSeconds(beforeNext)})` };
  }
  if (input.mode === "fixed") {
    return input.secondsSinceCheckpoint >= st.fixedIntervalSec
      ? { ...base, checkpoint: true, trigger: "interval", reason: `fixed interval of ${formatSeconds(st.fixedIntervalSec)} elapsed` }
      : { ...base, checkpoint: false, trigger: "none", reason: `next at the ${formatSeconds(st.fixedIntervalSec)} interval` };
  }
  if (predictedReplaySec > st.checkpointThresholdSec) {
    return { ...base, checkpoint: true, trigger: "predicted", reason: `predicted replay ${formatSeconds(predictedReplaySec)} > ${formatSeconds(st.checkpointThresholdSec)}` };
  }
  return { ...base, checkpoint: false, trigger: "none", reason: `predicted replay ${formatSeconds(predictedReplaySec)} <= ${formatSeconds(st.checkpointThresholdSec)}` };
}

// Few refinement rounds: the checkpoint job forecasts every assigned shardlet every few seconds.
const forecaster = holtWinters({ maxSeasons: 4, refineRounds: 1 });

/**
 * Mean events/s expected over the horizon from a shardlet's recent arrivals (events/s per step,
 * oldest first): Holt-Winters over the history when a season (`period`) has repeated twice, a
 * damped trend otherwise, the last value for very short histories. Never negative.
 */
export function forecastArrivalRate(history: readonly number[], opts: { stepSec: number; horizonSec: number; period?: number }): number {
  const clean = history.map((v) => (Number.isFinite(v) && v > 0 ? v : 0));
  if (clean.length === 0) return 0;
  if (clean.length < 3) return clean[clean.length - 1]!;
  const horizon = Math.max(1, Math.ceil(opts.horizonSec / Math.max(1e-9, opts.stepSec)));
  const period = opts.period && clean.length >= 2 * opts.period + 1 ? opts.period : 1;
  const f = forecaster.forecast({ history: clean, horizon, period });
  const mean = f.reduce((a, b) => a + b, 0) / f.length;
  return Number.isFinite(mean) && mean > 0 ? mean : 0;
}
