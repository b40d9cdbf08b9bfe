/**
 * Whether a source of predictions earns its keep: per source (the event type, or one payload
 * field), the share of its prefetched bytes that were read before they left the cache, decayed at
 * a half-life. A source whose share falls under `minShare` is not acted on: its prefetches cost
 * more transfer and evicted entries than they save. Per-pair outcomes (`PredictionOutcomes`)
 * already cut a pair whose reads do not come; this is the coarser cut for a field whose values
 * announce many pairs each seen too rarely for that (a user seen a few times an hour).
 *
 * The share is a posterior with a prior mean of `priorShare` worth `priorWeight` prefetches of the
 * source's average size, so it is independent of the bytes' scale; as a cut source's evidence
 * decays, the prior (above the bar) lets it try again, and it is judged afresh. Pure: the caller
 * passes the time.
 */
export interface SourceScoresOptions {
  halfLifeMs: number;
  /** Default 0.5: at least half of what a source prefetches must be read. */
  minShare?: number;
  priorShare?: number;
  priorWeight?: number;
}

interface Score {
  read: number;
  bytes: number;
  n: number;
  at: number;
}

export interface SourceScore {
  source: string;
  share: number;
  prefetches: number;
  allowed: boolean;
}

export class SourceScores {
  readonly #scores = new Map<string, Score>();
  readonly #decayPerMs: number;
  readonly #minShare: number;
  readonly #priorShare: number;
  readonly #priorWeight: number;

  constructor(opts: SourceScoresOptions) {
    this.#decayPerMs = Math.LN2 / opts.halfLifeMs;
    this.#minShare = opts.minShare ?? 0.5;
    this.#priorShare = opts.priorShare ?? 0.6;
    this.#priorWeight = opts.priorWeight ?? 4;
  }

  /** A prefetch of `bytes` from `source` was read (`read`), or left the cache unread. */
  settled(source: string, bytes: number, read: boolean, now: number): void {
    if (!(bytes > 0)) return;
    const s = this.#decayed(source, now);
    this.#scores.set(source, { read: s.read + (read ? bytes : 0), bytes: s.bytes + bytes, n: s.n + 1, at: now });
  }

  /** The posterior share of the source's prefetched bytes that were read. */
  share(source: string, now: number): number {
    const s = this.#decayed(source, now);
    if (!(s.n > 0)) return this.#priorShare;
    const prior = this.#priorWeight * (s.bytes / s.n);
    return (this.#priorShare * prior + s.read) / (prior + s.bytes);
  }

  allowed(source: string, now: number): boolean {
    return this.share(source, now) >= this.#minShare;
  }

  /** Every source with evidence left, for the console and the benchmark. */
  list(now: number): SourceScore[] {
    return [...this.#scores.keys()].sort().map((source) => ({ source, share: this.share(source, now), prefetches: this.#decayed(source, now).n, allowed: this.allowed(source, now) }));
  }

  #decayed(source: string, now: number): Score {
    const s = this.#scores.get(source);
    if (!s) return { read: 0, bytes: 0, n: 0, at: now };
    const f = Math.exp(-this.#decayPerMs * Math.max(0, now - s.at));
    return { read: s.read * f, bytes: s.bytes * f, n: s.n * f, at: now };
  }
}
