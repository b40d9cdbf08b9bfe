import { monitorEventLoopDelay, performance, type IntervalHistogram } from "node:perf_hooks";

/** What a member reports about its process with each poll and heartbeat (docs/consumers.md, *Member telemetry*). */
export interface MemberTelemetry {
  /** CPU time over wall time since the previous report (1 = one core busy). */
  cpu: number;
  rssBytes: number;
  heapUsedBytes: number;
  /** The event loop's delay, p99 since the previous report, ms. */
  loopLagMs: number;
  /** Events the handler processed over the recent window, and the handler time they took (ms). */
  events: number;
  handlerMs: number;
}

/**
 * Handler time the processing sample covers: older work fades out beyond it, so the rate follows
 * a member whose speed changes, yet one idle for a while keeps the rate it last measured.
 */
const WINDOW_MS = 30_000;
/** Reports closer together than this (a poll right after a heartbeat) repeat the last CPU and lag figures: a few ms of wall time say little. */
const MIN_SPAN_MS = 250;
/** The edge's bounds (it refuses anything outside): figures are clamped to them, never sent beyond. */
const MAX_BYTES = 2 ** 48;
const MAX_LAG_MS = 3_600_000;
const MAX_CPU = 1024;

const clamp = (v: number, hi: number) => (Number.isFinite(v) ? Math.min(hi, Math.max(0, v)) : 0);

/** Measures the process a member runs in, and its handler's processing rate. */
export class TelemetrySampler {
  /** `enabled`: off when the options say so, or once an edge refused the field (an edge from before it). */
  constructor(public enabled: boolean) {}

  private histogram: IntervalHistogram | null = null;
  private cpuAt = process.cpuUsage();
  private wallAt = performance.now();
  private last = { cpu: 0, loopLagMs: 0 };
  private events = 0;
  private handlerMs = 0;

  start(): void {
    if (this.histogram || !this.enabled) return;
    this.histogram = monitorEventLoopDelay({ resolution: 20 });
    this.histogram.enable();
    this.cpuAt = process.cpuUsage();
    this.wallAt = performance.now();
  }

  stop(): void {
    this.histogram?.disable();
    this.histogram = null;
  }

  /** The handler ran `ms` and processed `events` (0 when it threw: the time was spent all the same). */
  processed(events: number, ms: number): void {
    this.events += events;
    this.handlerMs += ms;
    if (this.handlerMs > WINDOW_MS) {
      const keep = WINDOW_MS / this.handlerMs;
      this.events *= keep;
      this.handlerMs = WINDOW_MS;
    }
  }

  /** What the next request carries: undefined while telemetry is off. */
  report(): MemberTelemetry | undefined {
    return this.enabled ? this.sample() : undefined;
  }

  sample(): MemberTelemetry {
    const now = performance.now();
    const span = now - this.wallAt;
    if (span >= MIN_SPAN_MS) {
      const used = process.cpuUsage(this.cpuAt);
      this.last = {
        cpu: (used.user + used.system) / 1000 / span,
        // Nanoseconds; an empty histogram answers 0.
        loopLagMs: this.histogram ? this.histogram.percentile(99) / 1e6 : 0,
      };
      this.histogram?.reset();
      this.cpuAt = process.cpuUsage();
      this.wallAt = now;
    }
    const mem = process.memoryUsage();
    return {
      cpu: clamp(this.last.cpu, MAX_CPU),
      rssBytes: Math.round(clamp(mem.rss, MAX_BYTES)),
      heapUsedBytes: Math.round(clamp(mem.heapUsed, MAX_BYTES)),
      loopLagMs: clamp(this.last.loopLagMs, MAX_LAG_MS),
      events: Math.round(clamp(this.events, 1e9)),
      handlerMs: clamp(this.handlerMs, 1e9),
    };
  }
}
