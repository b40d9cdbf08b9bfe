import type { Logger } from "./logger.ts";

/** Failures of one dependency closer together than this belong to one outage. */
export const OUTAGE_GAP_MS = 30_000;

interface Outage {
  since: number;
  last: number;
  failures: number;
}

/**
 * Logs each outage of a dependency once. While the control database restarts every request fails
 * the same way, and a warning per request would bury the one line an operator needs (and cost the
 * most when the process is busiest): the first failure after a quiet gap logs a warning that the
 * part answers 503 until the dependency is back; the failures after it are only counted, and the
 * next outage's warning says how long the one before lasted and how many requests it failed.
 */
export class OutageLog {
  private readonly outages = new Map<string, Outage>();

  constructor(private readonly opts: { gapMs?: number; now?: () => number } = {}) {}

  /** Records a request that failed because `dependency` did not answer; logs it when it starts an outage. */
  failed(log: Logger, dependency: string, err: unknown): void {
    const now = (this.opts.now ?? Date.now)();
    const o = this.outages.get(dependency);
    if (o && now - o.last <= (this.opts.gapMs ?? OUTAGE_GAP_MS)) {
      o.last = now;
      o.failures++;
      return;
    }
    const previous = o ? { previousOutageMs: o.last - o.since, previousFailures: o.failures } : {};
    this.outages.set(dependency, { since: now, last: now, failures: 1 });
    log.warn(`${dependency} unavailable: requests that need it are answered 503 with Retry-After until it is back (logged once per outage)`, { error: err, ...previous });
  }

  /** Failures counted in the current (or last) outage of `dependency`. */
  failures(dependency: string): number {
    return this.outages.get(dependency)?.failures ?? 0;
  }
}

/** One per process: every request path of a part reports to the same record. */
export const outages = new OutageLog();
