/**
 * Measures one policy's run: time above capacity, load spread, modelled queueing latency and the
 * cost of what the policy did. Only the measured part of the run (after the warm-up) counts.
 */

/** p99 of an M/M/1 queue's time in system is -ln(0.01) / (mu - lambda). */
const LN100 = Math.log(100);

export function mm1P99Ms(capacity: number, load: number, capMs: number): number {
  if (!(capacity > 0)) return capMs;
  if (load >= capacity) return capMs;
  return Math.min(capMs, (LN100 / (capacity - load)) * 1000);
}

/** Log-spaced latency histogram from 1 µs to the cap; weights are events. */
class LatencyHistogram {
  static readonly BINS = 400;
  readonly #w = new Float64Array(LatencyHistogram.BINS);
  readonly #lo = Math.log(1e-3);
  readonly #span: number;
  #total = 0;

  constructor(readonly capMs: number) {
    this.#span = Math.log(capMs) - this.#lo;
  }

  add(ms: number, weight: number): void {
    if (!(weight > 0)) return;
    const x = ms <= 1e-3 ? 0 : Math.min(1, (Math.log(ms) - this.#lo) / this.#span);
    const bin = Math.min(LatencyHistogram.BINS - 1, Math.floor(x * LatencyHistogram.BINS));
    this.#w[bin]! += weight;
    this.#total += weight;
  }

  /** Upper edge of the bin holding quantile q. */
  quantile(q: number): number {
    if (this.#total <= 0) return 0;
    const target = q * this.#total;
    let acc = 0;
    for (let i = 0; i < LatencyHistogram.BINS; i++) {
      acc += this.#w[i]!;
      if (acc >= target) return Math.min(this.capMs, Math.exp(this.#lo + ((i + 1) / LatencyHistogram.BINS) * this.#span));
    }
    return this.capMs;
  }
}

function quantile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const pos = q * (sorted.length - 1);
  const i = Math.floor(pos);
  const f = pos - i;
  return i + 1 < sorted.length ? sorted[i]! * (1 - f) + sorted[i + 1]! * f : sorted[i]!;
}

export interface PolicyMetrics {
  /** Minutes in which at least one host carried more than its capacity. */
  violationMinutes: number;
  /** Host-minutes above capacity (summed over hosts). */
  overloadHostMinutes: number;
  /** Max / mean host load per tick: median and 99th percentile over the measured ticks. */
  maxMeanMedian: number;
  maxMeanP99: number;
  /** Hottest host's utilisation per tick, 99th percentile. */
  maxUtilP99: number;
  /** Modelled p99 queueing latency (M/M/1 per host), over all events, ms. */
  p99LatencyMs: number;
  /** The same at the median event, ms. */
  p50LatencyMs: number;
  bytesMoved: number;
  /** The part of `bytesMoved` that was sealed history copied off hosts being retired (hand-off moves). */
  historyBytesMoved: number;
  /** Moves of write load started: copies or hand-offs, whichever the move model makes. */
  migrations: number;
  splits: number;
  merges: number;
  /** Events that took the overflow log: writes during splits, merges and migration switches, and writes over a host's capacity. */
  fallbackEvents: number;
  /** fallbackEvents / events. */
  fallbackShare: number;
  events: number;
  /** Moves a policy asked for that could not start (host busy with migrations, shardlet gone). */
  deferredMoves: number;
  /** Splits asked for where no split point exists (a single hot key). */
  refusedSplits: number;
  /** Ticks in which the analyzer recommended adding a host. */
  scaleSignals: number;
  /** Hours of every paid host (provisioning, active, draining) over the measured time: the cost. */
  hostHours: number;
  /** Hosts asked for and hosts removed after a drain, in the measured time. */
  hostsAdded: number;
  hostsRemoved: number;
  /** Fewest and most paid hosts at any measured moment. */
  hostsMin: number;
  hostsMax: number;
  /** Live shardlets at the end. */
  shardletsEnd: number;
  /** Most live shardlets during the run. */
  shardletsMax: number;
  measuredMinutes: number;
}

export class MetricsRecorder {
  readonly hosts: number;
  readonly ticks: number;
  readonly #capMs: number;
  readonly #latency: LatencyHistogram;
  /** Time-weighted utilisation per (tick, host), for the charts. */
  readonly util: Float32Array;
  /** Ms of each tick during which some host was above capacity. */
  readonly violationMs: Float32Array;
  readonly #ratio: Float64Array;
  readonly #maxUtil: Float64Array;
  #measuredTicks = 0;
  #violationMs = 0;
  #overloadHostMs = 0;
  #measuredMs = 0;
  // Accumulators of the tick being integrated.
  #tickRatio = 0;
  #tickMax = 0;
  #tickMs = 0;
  counts = {
    bytesMoved: 0,
    historyBytesMoved: 0,
    migrations: 0,
    splits: 0,
    merges: 0,
    fallbackEvents: 0,
    events: 0,
    deferredMoves: 0,
    refusedSplits: 0,
    scaleSignals: 0,
    shardletsMax: 0,
    hostsAdded: 0,
    hostsRemoved: 0,
  };
  #hostMs = 0;
  #hostsMin = Infinity;
  #hostsMax = 0;

  constructor(hosts: number, ticks: number, latencyCapMs: number) {
    this.hosts = hosts;
    this.ticks = ticks;
    this.#capMs = latencyCapMs;
    this.#latency = new LatencyHistogram(latencyCapMs);
    this.util = new Float32Array(ticks * hosts);
    this.violationMs = new Float32Array(ticks);
    this.#ratio = new Float64Array(ticks);
    this.#maxUtil = new Float64Array(ticks);
  }

  /**
   * A stretch of `dtMs` in which host h carries `events[h]` events/s plus `overhead[h]` events/s
   * worth of copy work against `capacity[h]`.
   */
  segment(tick: number, dtMs: number, events: Float64Array, overhead: Float64Array, capacity: Float64Array, measured: boolean): void {
    if (dtMs <= 0) return;
    const n = this.hosts;
    let max = 0;
    let sum = 0;
    let serving = 0;
    let maxUtil = 0;
    let over = false;
    for (let h = 0; h < n; h++) {
      const cap = capacity[h]!;
      // A slot without capacity is a host not serving (not yet provisioned, or removed).
      if (!(cap > 0)) continue;
      serving++;
      const eff = events[h]! + overhead[h]!;
      const u = cap > 0 ? eff / cap : 0;
      this.util[tick * n + h]! += u * dtMs;
      if (eff > max) max = eff;
      if (u > maxUtil) maxUtil = u;
      sum += eff;
      const hot = eff > cap * (1 + 1e-9);
      if (hot) over = true;
      if (!measured) continue;
      const evs = (events[h]! * dtMs) / 1000;
      this.counts.events += evs;
      if (hot) {
        this.#overloadHostMs += dtMs;
        this.counts.fallbackEvents += (Math.min(events[h]!, eff - cap) * dtMs) / 1000;
      }
      this.#latency.add(mm1P99Ms(cap, eff, this.#capMs), evs);
    }
    const mean = serving > 0 ? sum / serving : 0;
    this.#tickRatio += (mean > 0 ? max / mean : 1) * dtMs;
    this.#tickMax = Math.max(this.#tickMax, maxUtil);
    this.#tickMs += dtMs;
    if (over) this.violationMs[tick]! += dtMs;
    if (measured) {
      this.#measuredMs += dtMs;
      if (over) this.#violationMs += dtMs;
    }
  }

  /** `paid` hosts for `dtMs` (the cost side: every host from its request until its removal). */
  hostTime(dtMs: number, paid: number, measured: boolean): void {
    if (!measured || dtMs <= 0) return;
    this.#hostMs += paid * dtMs;
    if (paid < this.#hostsMin) this.#hostsMin = paid;
    if (paid > this.#hostsMax) this.#hostsMax = paid;
  }

  /** Closes tick `tick` (its segments summed to the tick length). */
  endTick(tick: number, measured: boolean): void {
    const n = this.hosts;
    if (this.#tickMs > 0) for (let h = 0; h < n; h++) this.util[tick * n + h]! /= this.#tickMs;
    if (measured && this.#tickMs > 0) {
      this.#ratio[this.#measuredTicks] = this.#tickRatio / this.#tickMs;
      this.#maxUtil[this.#measuredTicks] = this.#tickMax;
      this.#measuredTicks++;
    }
    this.#tickRatio = 0;
    this.#tickMax = 0;
    this.#tickMs = 0;
  }

  finish(shardletsEnd: number): PolicyMetrics {
    const ratios = this.#ratio.slice(0, this.#measuredTicks).sort();
    const maxUtil = this.#maxUtil.slice(0, this.#measuredTicks).sort();
    const c = this.counts;
    return {
      violationMinutes: this.#violationMs / 60_000,
      overloadHostMinutes: this.#overloadHostMs / 60_000,
      maxMeanMedian: quantile(ratios, 0.5),
      maxMeanP99: quantile(ratios, 0.99),
      maxUtilP99: quantile(maxUtil, 0.99),
      p99LatencyMs: this.#latency.quantile(0.99),
      p50LatencyMs: this.#latency.quantile(0.5),
      bytesMoved: c.bytesMoved,
      historyBytesMoved: c.historyBytesMoved,
      migrations: c.migrations,
      splits: c.splits,
      merges: c.merges,
      fallbackEvents: c.fallbackEvents,
      fallbackShare: c.events > 0 ? c.fallbackEvents / c.events : 0,
      events: c.events,
      deferredMoves: c.deferredMoves,
      refusedSplits: c.refusedSplits,
      scaleSignals: c.scaleSignals,
      hostHours: this.#hostMs / 3_600_000,
      hostsAdded: c.hostsAdded,
      hostsRemoved: c.hostsRemoved,
      hostsMin: Number.isFinite(this.#hostsMin) ? this.#hostsMin : 0,
      hostsMax: this.#hostsMax,
      shardletsEnd,
      shardletsMax: c.shardletsMax,
      measuredMinutes: this.#measuredMs / 60_000,
    };
  }
}
