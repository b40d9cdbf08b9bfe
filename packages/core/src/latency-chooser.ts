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
 * - A mean decayed by age and by sample count, whichever forgets faster: about the last
 *   `halfLifeReads` reads or the last `halfLifeMs`, whichever is shorter. By age alone, a target
 *   read hundreds of times a second kept hundreds of old samples in its mean, so a few slow answers
 *   after it turned slow barely moved it and it kept its share for most of a second; a mean over a
 *   few dozen reads is already steady enough to rank targets. By count alone, a target that gets
 *   only the floor's reads (one turned slow) would keep its slow samples for minutes after it
 *   recovered; age fades them in a few half-lives even though new samples come rarely.
 * - An estimate with no sample for `staleMs` counts as none, and none counts as best: a target is
 *   measured again rather than judged by what it did long ago. One read at a time is sent to
 *   measure it (`probeHoldMs`), not every read that meets it while that one is under way.
 * - The estimate is weighed by the reads still under way there (`begin` to `observe`/`abandon`),
 *   as the in-flight factor of Finagle's and Linkerd's peak-EWMA balancers: a target that turns
 *   slow piles up readers' reads before any of them reports a time, and its cost rises with the
 *   pile instead of waiting for the slow answers to move its mean. For the same reason a read
 *   under way for longer than the estimate counts as the estimate while it waits: the target is
 *   that slow now, whatever its mean says; the first slow answer is not needed to know it.
 * - The cost is at least the median of the target's last three read times. Peak-EWMA's other
 *   half, taking any sample above the mean as the estimate at once, is left out: on hosts whose
 *   times jitter (shared machines, a checkpoint) one slow answer of a healthy target made it look
 *   as slow as a slowed one for a half-life, and a real-host test sent the slowed replica two to
 *   four times its floor share. Two slow answers out of three are rare on a healthy target and
 *   the rule on a slowed one: the cost follows them at once, and one fast answer among them does
 *   not bring it back. Without it, the in-flight factor of healthy targets (a read under way
 *   doubles a cost) let a slowed replica whose mean had not yet passed theirs win pairings for a
 *   few hundred milliseconds, one slow read after another.
 */
export interface LatencyChooserOptions {
  /** Age at which a sample weighs half as much as a new one, in ms. */
  halfLifeMs: number;
  /**
   * Number of later reads of the same target after which a sample weighs half as much (default
   * 16): at high read rates this, not the age, bounds how much history the mean carries.
   */
  halfLifeReads?: number;
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

/**
 * The default count half-life: weights that halve every 16 reads sum to about 23 reads, enough to
 * rank targets whose read times vary by tens of percent, and few enough that two or three slow
 * answers move the mean. Chosen by that reasoning, not fitted to a benchmark.
 */
export const LATENCY_HALF_LIFE_READS = 16;

interface Estimate {
  /** Decayed sums of the samples' latencies and of their weights, as of `at`. */
  sum: number;
  weight: number;
  /** Time of the last sample. */
  at: number;
  /** The last three read times, newest last (fewer until there have been three). */
  last: number[];
  /** When a read was last sent to measure it. */
  probeAt: number;
  /**
   * When the reads begun and not yet observed or abandoned began, oldest first. Reads of one target
   * mostly end in the order they began, so an end takes the oldest; when they do not, the age of
   * the oldest left understates the real one, never overstates it.
   */
  starts: number[];
}

export class LatencyChooser {
  readonly #estimates = new Map<string, Estimate>();
  readonly #decayPerMs: number;
  /** What each new sample leaves of the weight of the ones before it. */
  readonly #perRead: number;
  readonly #floorShare: number;
  readonly #staleMs: number;
  readonly #probeHoldMs: number;
  readonly #rng: Pick<Rng, "next">;

  constructor(opts: LatencyChooserOptions) {
    if (!(opts.halfLifeMs > 0)) throw new RangeError(`halfLifeMs must be above 0, got ${opts.halfLifeMs}`);
    if (!(opts.floorShare >= 0 && opts.floorShare <= 1)) throw new RangeError(`floorShare must be within 0-1, got ${opts.floorShare}`);
    const reads = opts.halfLifeReads ?? LATENCY_HALF_LIFE_READS;
    if (!(reads > 0)) throw new RangeError(`halfLifeReads must be above 0, got ${reads}`);
    this.#decayPerMs = Math.LN2 / opts.halfLifeMs;
    this.#perRead = 2 ** (-1 / reads);
    this.#floorShare = opts.floorShare;
    this.#staleMs = opts.staleMs ?? 10 * opts.halfLifeMs;
    this.#probeHoldMs = opts.probeHoldMs ?? opts.halfLifeMs;
    this.#rng = opts.rng;
  }

  /** A read of `target` begins at `now` (ended by `observe` with its time, or by `abandon` without one). */
  begin(target: string, now: number): void {
    const e = this.#estimates.get(target);
    if (e) e.starts.push(now);
    else this.#estimates.set(target, { sum: 0, weight: 0, at: -Infinity, last: [], probeAt: -Infinity, starts: [now] });
  }

  /** A read of `target` begun earlier failed: it ends without a time. */
  abandon(target: string): void {
    const e = this.#estimates.get(target);
    e?.starts.shift();
  }

  /** A read of `target` took `ms`, ending at `now` (and ends one begun read, if any). */
  observe(target: string, ms: number, now: number): void {
    const e = this.#estimates.get(target);
    if (!e) {
      this.#estimates.set(target, { sum: ms, weight: 1, at: now, last: [ms], probeAt: -Infinity, starts: [] });
      return;
    }
    e.starts.shift();
    const f = e.weight > 0 ? this.#perRead * Math.exp(-this.#decayPerMs * Math.max(0, now - e.at)) : 0;
    e.sum = e.sum * f + ms;
    e.weight = e.weight * f + 1;
    e.at = Math.max(e.at, now);
    e.last.push(ms);
    if (e.last.length > 3) e.last.shift();
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
   * Lower is better: the largest of the fresh estimate, the median of the last three read times
   * and how long its oldest read under way has waited, times one more than the reads under way
   * there; -Infinity to measure it; while it is being measured, its last estimate (Infinity if
   * none).
   */
  #score(target: string, now: number): number {
    const fresh = this.estimate(target, now);
    if (fresh !== undefined) {
      const e = this.#estimates.get(target)!;
      const waited = e.starts.length > 0 ? now - e.starts[0]! : 0;
      return Math.max(fresh, medianOfLast(e.last), waited) * (1 + e.starts.length);
    }
    const e = this.#estimates.get(target);
    if (!e || now - e.probeAt > this.#probeHoldMs) return -Infinity;
    return e.weight > 0 ? e.sum / e.weight : Infinity;
  }

  #probing(target: string, now: number): void {
    const e = this.#estimates.get(target);
    if (e) e.probeAt = now;
    else this.#estimates.set(target, { sum: 0, weight: 0, at: now, last: [], probeAt: now, starts: [] });
  }
}

/** The median of up to three read times; 0 with fewer than three (the mean alone then). */
function medianOfLast(last: readonly number[]): number {
  if (last.length < 3) return 0;
  const [a, b, c] = last as [number, number, number];
  return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
}
