import type { Rng } from "./workload/rng.ts";

/**
 * Chooses where to send a read among targets that can all serve it (a shardlet's host and its
 * read replicas) by their recent latency: power of two choices over time-decayed mean latencies,
 * with a floor of uniformly random choices so every target keeps being measured. Pure: the caller
 * passes the time and the random source.
 *
 * Why the parts:
 * - Two random candidates, the faster taken (not always the fastest of all): concurrent readers
 *   that all saw the same estimates would otherwise pile onto one target before any of them
 *   reports back, and the fastest would stop being fastest under the pile.
 * - A mean decayed by age, not by sample count: how fast a change shows does not depend on how
 *   often a target is read. A slow target gets only the floor's reads, so after it recovers its
 *   old slow samples fade out in a few half-lives even though new samples come rarely.
 * - An estimate with no sample for `staleMs` counts as none, and none counts as best: a target is
 *   measured again rather than judged by what it did long ago. One read at a time is sent to
 *   measure it (`probeHoldMs`), not every read that meets it while that one is under way.
 * - The estimate is weighed by the reads still under way there (`begin` to `observe`/`abandon`),
 *   as the in-flight factor of Finagle's and Linkerd's peak-EWMA balancers: a target that turns
 *   slow piles up readers' reads before any of them reports a time, and its cost rises with the
 *   pile instead of waiting for the slow answers to move its mean. Their other half, taking any
 *   sample above the mean as the estimate at once, is left out: on hosts whose times jitter
 *   (shared machines, a checkpoint) one slow answer of a healthy target made it look as slow as a
 *   slowed one for a half-life, and a real-host test sent the slowed replica two to four times its
 *   floor share.
 */
export interface LatencyChooserOptions {
  /** Age at which a sample weighs half as much as a new one, in ms. */
  halfLifeMs: number;
  /** Share of choices made uniformly at random among the targets (0 to 1). */
  floorShare: number;
  /**
   * An estimate whose last sample is older than this counts as none (default ten half-lives): the
   * longest a target the floor's reads miss (few reads in all) goes unmeasured, at the cost of one
   * read sent to it then even if it is still slow.
   */
  staleMs?: number;
  /** How long a read sent to measure a target is waited for before another one is (default one half-life). */
  probeHoldMs?: number;
  /** The random source (core's `createRng` in tests and simulations). */
  rng: Pick<Rng, "next">;
}

interface Estimate {
  /** Decayed sums of the samples' latencies and of their weights, as of `at`. */
  sum: number;
  weight: number;
  /** Time of the last sample. */
  at: number;
  /** When a read was last sent to measure it. */
  probeAt: number;
  /** Reads begun and not yet observed or abandoned. */
  inFlight: number;
}

export class LatencyChooser {
  readonly #estimates = new Map<string, Estimate>();
  readonly #decayPerMs: number;
  readonly #floorShare: number;
  readonly #staleMs: number;
  readonly #probeHoldMs: number;
  readonly #rng: Pick<Rng, "next">;

  constructor(opts: LatencyChooserOptions) {
    if (!(opts.halfLifeMs > 0)) throw new RangeError(`halfLifeMs must be above 0, got ${opts.halfLifeMs}`);
    if (!(opts.floorShare >= 0 && opts.floorShare <= 1)) throw new RangeError(`floorShare must be within 0-1, got ${opts.floorShare}`);
    this.#decayPerMs = Math.LN2 / opts.halfLifeMs;
    this.#floorShare = opts.floorShare;
    this.#staleMs = opts.staleMs ?? 10 * opts.halfLifeMs;
    this.#probeHoldMs = opts.probeHoldMs ?? opts.halfLifeMs;
    this.#rng = opts.rng;
  }

  /** A read of `target` begins (ended by `observe` with its time, or by `abandon` without one). */
  begin(target: string): void {
    const e = this.#estimates.get(target);
    if (e) e.inFlight++;
    else this.#estimates.set(target, { sum: 0, weight: 0, at: -Infinity, probeAt: -Infinity, inFlight: 1 });
  }

  /** A read of `target` begun earlier failed: it ends without a time. */
  abandon(target: string): void {
    const e = this.#estimates.get(target);
    if (e && e.inFlight > 0) e.inFlight--;
  }

  /** A read of `target` took `ms`, ending at `now` (and ends one begun read, if any). */
  observe(target: string, ms: number, now: number): void {
    const e = this.#estimates.get(target);
    if (!e) {
      this.#estimates.set(target, { sum: ms, weight: 1, at: now, probeAt: -Infinity, inFlight: 0 });
      return;
    }
    if (e.inFlight > 0) e.inFlight--;
    const f = e.weight > 0 ? Math.exp(-this.#decayPerMs * Math.max(0, now - e.at)) : 0;
    e.sum = e.sum * f + ms;
    e.weight = e.weight * f + 1;
    e.at = Math.max(e.at, now);
  }

  /** The target's decayed mean latency in ms, or undefined without a fresh one. */
  estimate(target: string, now: number): number | undefined {
    const e = this.#estimates.get(target);
    return e && e.weight > 0 && now - e.at <= this.#staleMs ? e.sum / e.weight : undefined;
  }

  /** Drops what is known of a target (gone for good). */
  forget(target: string): void {
    this.#estimates.delete(target);
  }

  /** The index in `targets` (non-empty, distinct) to read from at `now`. */
  choose(targets: readonly string[], now: number): number {
    const n = targets.length;
    if (n <= 1) return 0;
    if (this.#rng.next() < this.#floorShare) return Math.min(n - 1, Math.floor(this.#rng.next() * n));
    const a = Math.min(n - 1, Math.floor(this.#rng.next() * n));
    let b = Math.min(n - 2, Math.floor(this.#rng.next() * (n - 1)));
    if (b >= a) b++;
    const sa = this.#score(targets[a]!, now);
    const sb = this.#score(targets[b]!, now);
    const pick = sb < sa ? b : a;
    if (Math.min(sa, sb) === -Infinity) this.#probing(targets[pick]!, now);
    return pick;
  }

  /**
   * Lower is better: the fresh estimate times one more than the reads under way there; -Infinity
   * to measure it; while it is being measured, its last estimate (Infinity if none).
   */
  #score(target: string, now: number): number {
    const fresh = this.estimate(target, now);
    if (fresh !== undefined) return fresh * (1 + (this.#estimates.get(target)?.inFlight ?? 0));
    const e = this.#estimates.get(target);
    if (!e || now - e.probeAt > this.#probeHoldMs) return -Infinity;
    return e.weight > 0 ? e.sum / e.weight : Infinity;
  }

  #probing(target: string, now: number): void {
    const e = this.#estimates.get(target);
    if (e) e.probeAt = now;
    else this.#estimates.set(target, { sum: 0, weight: 0, at: now, probeAt: now, inFlight: 0 });
  }
}
