/**
 * Measured host capacity: what a host served before its writers' latency rose, learned from its
 * own load and ack latency instead of a configured figure, so a slow disk or a busy neighbour shows.
 */

/** One interval of a host: the events/s it took and the mean ack latency writers saw. */
export interface LoadObservation {
  /** Start of the interval (epoch ms). */
  atMs: number;
  /** Events per second written to the host's shardlets. */
  load: number;
  /** Mean ack latency of those writes (ms). */
  latencyMs: number;
  /** Acks the mean is taken over (an interval with a handful says little). */
  samples: number;
}

export interface CapacityEstimateOptions {
  nowMs: number;
  /** Evidence older than this is forgotten: a host that was slow once is not slow forever. */
  windowMs: number;
  /** An interval is saturated when its latency passes this multiple of the host's baseline. */
  kneeFactor: number;
  /** ...and at least this many ms above it (a 1 ms baseline doubling to 2 ms is noise, not a knee). */
  minRiseMs: number;
  /** Saturated intervals needed before the host's figure is learned (one slow interval is a blip). */
  minSaturated: number;
  /** Intervals with fewer acks are not evidence. */
  minSamples: number;
}

export const DEFAULT_CAPACITY_ESTIMATE_OPTIONS: Omit<CapacityEstimateOptions, "nowMs"> = {
  windowMs: 6 * 3_600_000,
  kneeFactor: 2,
  minRiseMs: 5,
  minSaturated: 2,
  minSamples: 20,
};

export interface CapacityEstimate {
  /** Events/s the host serves before its latency rises; null: no saturation seen, keep the configured figure. */
  eventsPerSec: number | null;
  /** Latency at low load (ms); null without evidence. */
  baselineMs: number | null;
  /** Latency above which an interval counted as saturated (ms). */
  thresholdMs: number | null;
  /** Highest load served at baseline latency that later evidence has not contradicted. */
  healthyPeak: number;
  saturated: number;
  healthy: number;
  /** One line for operators: why this figure, or why none. */
  reason: string;
}

function medianOf(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * Estimates a host's saturation point from its (load, latency) intervals.
 *
 * The baseline is the median latency of the least loaded fifth of the intervals (at least one):
 * latency at low load is what the host costs when nothing queues, and a host that spent most of the
 * window saturated still has a few quiet intervals to tell it. An interval is saturated when its latency passes
 * `kneeFactor` x baseline (and `minRiseMs` above it). Newer evidence overrules older: a healthy
 * interval at load L clears saturated ones at or below L that came before it (the host recovered),
 * and a saturated interval at load L clears healthy ones at or above L before it (the host got
 * slower). With at least `minSaturated` saturated intervals left, the capacity is the higher of
 * the healthy peak and the median load of the saturated intervals: under a closed-loop writer a
 * saturated host plateaus at what it can serve, so the plateau is its capacity, and the last
 * healthy step below the plateau is only a lower bound. Without them the host was never pushed to
 * its limit and the estimate is null: an untested host is not assumed weak.
 */
export function estimateHostCapacity(observations: readonly LoadObservation[], opts: CapacityEstimateOptions): CapacityEstimate {
  const from = opts.nowMs - opts.windowMs;
  const obs = observations
    .filter((o) => o.atMs >= from && o.atMs <= opts.nowMs && o.samples >= opts.minSamples && Number.isFinite(o.load) && Number.isFinite(o.latencyMs) && o.load > 0)
    .sort((a, b) => a.atMs - b.atMs);
  const none = (reason: string, extra: Partial<CapacityEstimate> = {}): CapacityEstimate => ({
    eventsPerSec: null,
    baselineMs: null,
    thresholdMs: null,
    healthyPeak: 0,
    saturated: 0,
    healthy: 0,
    reason,
    ...extra,
  });
  if (obs.length < opts.minSaturated + 1) return none(`${obs.length} interval${obs.length === 1 ? "" : "s"} with writes in the window: too few to learn from`);

  const byLoad = [...obs].sort((a, b) => a.load - b.load);
  const baselineMs = medianOf(byLoad.slice(0, Math.max(1, Math.floor(byLoad.length / 5))).map((o) => o.latencyMs));
  const thresholdMs = Math.max(baselineMs * opts.kneeFactor, baselineMs + opts.minRiseMs);
  const isSaturated = obs.map((o) => o.latencyMs > thresholdMs);

  // Walk from the newest interval back, remembering what newer evidence already says.
  let newestHealthyPeak = -Infinity;
  let newestSaturatedFloor = Infinity;
  const healthy: number[] = [];
  const saturated: number[] = [];
  for (let i = obs.length - 1; i >= 0; i--) {
    const o = obs[i]!;
    if (isSaturated[i]) {
      if (o.load > newestHealthyPeak) saturated.push(o.load);
      newestSaturatedFloor = Math.min(newestSaturatedFloor, o.load);
    } else {
      if (o.load < newestSaturatedFloor) healthy.push(o.load);
      newestHealthyPeak = Math.max(newestHealthyPeak, o.load);
    }
  }
  const healthyPeak = healthy.length > 0 ? Math.max(...healthy) : 0;
  const figures = { baselineMs: round(baselineMs), thresholdMs: round(thresholdMs), healthyPeak: round(healthyPeak), saturated: saturated.length, healthy: healthy.length };
  if (saturated.length < opts.minSaturated) {
    return none(`latency stayed under ${figures.thresholdMs} ms (baseline ${figures.baselineMs} ms) up to ${figures.healthyPeak} events/s: no saturation seen`, figures);
  }
  const plateau = medianOf(saturated);
  const eventsPerSec = Math.max(healthyPeak, plateau);
  return {
    eventsPerSec: round(eventsPerSec),
    ...figures,
    reason: `latency rose past ${figures.thresholdMs} ms (baseline ${figures.baselineMs} ms) in ${saturated.length} intervals at a median ${round(plateau)} events/s; highest healthy load ${figures.healthyPeak} events/s`,
  };
}

/** Which figure a host is planned on. */
export type CapacitySource = "override" | "measured" | "configured";

export interface HostCapacityFigures {
  capacityEventsPerSec: number;
  capacityOverrideEventsPerSec: number | null;
  measuredCapacityEventsPerSec: number | null;
}

/**
 * The one rule for the events/s a host is planned on: an operator's override, else the measured
 * estimate when there is one, else the configured figure.
 */
export function effectiveHostCapacity(h: HostCapacityFigures): { eventsPerSec: number; source: CapacitySource } {
  if (h.capacityOverrideEventsPerSec !== null && h.capacityOverrideEventsPerSec > 0) return { eventsPerSec: h.capacityOverrideEventsPerSec, source: "override" };
  if (h.measuredCapacityEventsPerSec !== null && h.measuredCapacityEventsPerSec > 0) return { eventsPerSec: h.measuredCapacityEventsPerSec, source: "measured" };
  return { eventsPerSec: h.capacityEventsPerSec, source: "configured" };
}
