import { decideCheckpoint, forecastArrivalRate } from "./checkpoint-policy.ts";
import { ForecastGate } from "./forecast-gate.ts";
import { DEFAULT_PREDICTION_HORIZON_SEC, parseConsumerSettings } from "./settings.ts";

/**
 * Checkpoint policies replayed over an arrival series, for the benchmark. The consumer keeps up
 * (everything that arrived was processed), a crash costs the events processed since the last
 * durable checkpoint times the per-event replay time, and each policy decides every
 * `decisionIntervalSec` (the checkpoint job's period). A step's arrivals are spread evenly over
 * the decision intervals inside it. Replay is sampled at failure times on a uniform grid over the
 * whole window (`samplesPerInterval` per decision interval, the last at its end, where the replay
 * peaks), so the p99 is that of a crash at a uniformly random moment and the max is exact.
 */
export interface CheckpointSimInput {
  /** Arrivals in events/s per step, oldest first; `warmup` steps of it are history only. */
  rates: readonly number[];
  stepSec: number;
  /** Steps at the start that are only forecasting history (no decisions, no samples). */
  warmup: number;
  replaySecPerEvent: number;
  boundSec: number;
  decisionIntervalSec: number;
  /** Season of the rate series in steps (24 for hourly traces with a daily rhythm). */
  period?: number;
  /** The predictive policy's horizon (default: the settings' default, one run of the checkpoint job). */
  horizonSec?: number;
  /** A longer horizon the comparison also replays (default 60 s), to show what looking further ahead costs. */
  longHorizonSec?: number;
  /** Failure times sampled per decision interval (default 5). */
  samplesPerInterval?: number;
}

export interface PolicyOutcome {
  checkpoints: number;
  p99ReplaySec: number;
  maxReplaySec: number;
}

interface TickCtx {
  /** Index of the interval about to start. */
  tick: number;
  eventsSince: number;
  secondsSince: number;
  step: number;
  /** Arrivals of the interval about to start: only the oracle may look. */
  nextTickEvents: number;
  /** Arrivals of the interval just ended: what telemetry shows at decision time. */
  lastTickEvents: number;
}
type Decide = (ctx: TickCtx) => boolean;

interface Ticks {
  events: Float64Array;
  stepOf: Int32Array;
}

// Forecasts may look back this far; Holt-Winters keeps only its last few seasons anyway.
const HISTORY_STEPS = 24 * 14;

function ticks(input: CheckpointSimInput): Ticks {
  const perStep = Math.max(1, Math.round(input.stepSec / input.decisionIntervalSec));
  const steps = Math.max(0, input.rates.length - input.warmup);
  const events = new Float64Array(steps * perStep);
  const stepOf = new Int32Array(events.length);
  for (let s = 0; s < steps; s++) {
    const perTick = Math.max(0, input.rates[input.warmup + s] ?? 0) * (input.stepSec / perStep);
    for (let k = 0; k < perStep; k++) {
      events[s * perStep + k] = perTick;
      stepOf[s * perStep + k] = input.warmup + s;
    }
  }
  return { events, stepOf };
}

function p99(samples: Float64Array): number {
  if (samples.length === 0) return 0;
  const sorted = Float64Array.from(samples).sort();
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)]!;
}

function simulate(input: CheckpointSimInput, t: Ticks, decide: Decide): PolicyOutcome {
  const dt = input.decisionIntervalSec;
  const k = Math.max(1, Math.floor(input.samplesPerInterval ?? 5));
  const samples = new Float64Array(t.events.length * k);
  let eventsSince = 0;
  let secondsSince = 0;
  let checkpoints = 0;
  let max = 0;
  for (let i = 0; i < t.events.length; i++) {
    const arriving = t.events[i]!;
    const lastTickEvents = i > 0 ? t.events[i - 1]! : 0;
    // Nothing processed since the last checkpoint: a checkpoint would not move anything.
    if (eventsSince > 0 && decide({ tick: i, eventsSince, secondsSince, step: t.stepOf[i]!, nextTickEvents: arriving, lastTickEvents })) {
      checkpoints++;
      eventsSince = 0;
      secondsSince = 0;
    }
    for (let j = 1; j <= k; j++) samples[i * k + j - 1] = (eventsSince + (arriving * j) / k) * input.replaySecPerEvent;
    eventsSince += arriving;
    secondsSince += dt;
    const replay = eventsSince * input.replaySecPerEvent;
    if (replay > max) max = replay;
  }
  return { checkpoints, p99ReplaySec: p99(samples), maxReplaySec: max };
}

export function fixedIntervalPolicy(input: CheckpointSimInput, intervalSec: number): PolicyOutcome {
  return simulate(input, ticks(input), (c) => c.secondsSince >= intervalSec - 1e-9);
}

/** The largest fixed interval (a multiple of the decision interval) whose p99 replay stays within the bound. */
export function bestFixedInterval(input: CheckpointSimInput): { intervalSec: number; outcome: PolicyOutcome } {
  const t = ticks(input);
  const dt = input.decisionIntervalSec;
  let lo = 1;
  let hi = Math.max(1, t.events.length);
  let best = { intervalSec: dt, outcome: simulate(input, t, () => true) };
  // p99 replay grows with the interval (up to phase effects), so a binary search over multiples
  // of the decision interval finds the largest that holds.
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const outcome = simulate(input, t, (c) => c.secondsSince >= mid * dt - 1e-9);
    if (outcome.p99ReplaySec <= input.boundSec) {
      best = { intervalSec: mid * dt, outcome };
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return best;
}

/**
 * Reactive, no forecast: checkpoint once the current replay plus one decision interval's arrivals
 * at the rate just observed would reach the bound.
 */
export function reactivePolicy(input: CheckpointSimInput): PolicyOutcome {
  return simulate(input, ticks(input), (c) => (c.eventsSince + c.lastTickEvents) * input.replaySecPerEvent >= input.boundSec);
}

/**
 * Reactive tuned with hindsight: checkpoint once the current replay passes `(1 - margin) x bound`,
 * the margin chosen per series as the smallest that keeps the p99 within the bound.
 */
export function bestReactive(input: CheckpointSimInput): { margin: number; outcome: PolicyOutcome } {
  const t = ticks(input);
  let last: { margin: number; outcome: PolicyOutcome } | null = null;
  for (let step = 0; step <= 19; step++) {
    const margin = step / 20;
    const limit = (1 - margin) * input.boundSec;
    const outcome = simulate(input, t, (c) => c.eventsSince * input.replaySecPerEvent >= limit);
    last = { margin, outcome };
    if (outcome.p99ReplaySec <= input.boundSec) return last;
  }
  return last!;
}

/**
 * Per step, the mean rate forecast over the horizon from the steps before it only (never from the
 * future): Holt-Winters with the season once two seasons of history exist.
 */
export function stepForecasts(input: CheckpointSimInput, horizonSec: number): Float64Array {
  const out = new Float64Array(input.rates.length);
  for (let step = input.warmup; step < input.rates.length; step++) {
    const history = input.rates.slice(Math.max(0, step - HISTORY_STEPS), step);
    out[step] = forecastArrivalRate(history, { stepSec: input.stepSec, horizonSec, ...(input.period ? { period: input.period } : {}) });
  }
  return out;
}

/**
 * The product's policy (`decideCheckpoint`, predictive mode) with threshold and bound both at
 * `boundSec`; the rate just observed floors the forecast, and the forecast is used only while
 * its `ForecastGate` says it predicts the next interval better than that rate, as the checkpoint
 * job does (`gate: false` uses it always).
 */
export function predictivePolicy(input: CheckpointSimInput, opts: { horizonSec?: number; forecasts?: Float64Array; gate?: boolean } = {}): PolicyOutcome {
  const horizonSec = Math.max(1, opts.horizonSec ?? input.horizonSec ?? DEFAULT_PREDICTION_HORIZON_SEC);
  const settings = parseConsumerSettings({ checkpointThresholdSec: input.boundSec, maxReplaySec: input.boundSec, predictionHorizonSec: horizonSec });
  const forecasts = opts.forecasts ?? stepForecasts(input, horizonSec);
  const gate = opts.gate === false ? null : new ForecastGate();
  return simulate(input, ticks(input), (c) => {
    const recent = c.lastTickEvents / input.decisionIntervalSec;
    const forecast = forecasts[c.step] ?? 0;
    // What the interval just ended brought is known now; earlier ones were scored when they ended.
    const rate = gate ? gate.rate("s", c.tick, forecast, recent, (t) => (t === c.tick - 1 ? recent : undefined)) : forecast;
    return decideCheckpoint({
      mode: "predictive",
      settings,
      eventsSinceCheckpoint: c.eventsSince,
      secondsSinceCheckpoint: c.secondsSince,
      forecastRate: rate,
      recentRate: recent,
      replaySecPerEvent: input.replaySecPerEvent,
      decisionIntervalSec: input.decisionIntervalSec,
      progressed: true,
    }).checkpoint;
  });
}

/**
 * Knows the future: checkpoints only when skipping would take the replay past the bound before
 * the next decision (greedy latest), the fewest checkpoints any policy deciding at the same
 * moments needs to keep the max replay within the bound.
 */
export function oraclePolicy(input: CheckpointSimInput): PolicyOutcome {
  return simulate(input, ticks(input), (c) => (c.eventsSince + c.nextTickEvents) * input.replaySecPerEvent > input.boundSec);
}

export interface CheckpointComparison {
  /** At `horizonSec` (the settings' default unless given). */
  predictive: PolicyOutcome & { horizonSec: number };
  /** The same at `longHorizonSec`: with the threshold at the bound, a longer look-ahead only checkpoints earlier. */
  predictiveLong: PolicyOutcome & { horizonSec: number };
  /** At `horizonSec` with the forecast used always, skilled or not (what the gate saves). */
  predictiveUngated: PolicyOutcome;
  fixed: PolicyOutcome & { intervalSec: number };
  reactive: PolicyOutcome;
  reactiveTuned: PolicyOutcome & { margin: number };
  oracle: PolicyOutcome;
}

export function compareCheckpointPolicies(input: CheckpointSimInput): CheckpointComparison {
  const horizonSec = Math.max(1, input.horizonSec ?? DEFAULT_PREDICTION_HORIZON_SEC);
  const longSec = Math.max(1, input.longHorizonSec ?? 60);
  const fixed = bestFixedInterval(input);
  const tuned = bestReactive(input);
  // Forecasts of a horizon within one step are the same next-step forecast: computed once.
  const forecasts = stepForecasts(input, horizonSec);
  const long = Math.ceil(horizonSec / input.stepSec) === Math.ceil(longSec / input.stepSec) ? forecasts : stepForecasts(input, longSec);
  return {
    predictive: { ...predictivePolicy(input, { horizonSec, forecasts }), horizonSec },
    predictiveLong: { ...predictivePolicy(input, { horizonSec: longSec, forecasts: long }), horizonSec: longSec },
    predictiveUngated: predictivePolicy(input, { horizonSec, forecasts, gate: false }),
    fixed: { ...fixed.outcome, intervalSec: fixed.intervalSec },
    reactive: reactivePolicy(input),
    reactiveTuned: { ...tuned.outcome, margin: tuned.margin },
    oracle: oraclePolicy(input),
  };
}
