/**
 * Hits out of tries per key, decayed with a half-life, read as a Beta posterior whose prior mean
 * the caller gives (worth `priorWeight` tries): how the outcome trackers of announced reads judge
 * a pair or a type by its recent outcomes. Pure: the caller passes the time.
 */
interface Tally {
  hits: number;
  n: number;
  at: number;
}

export class DecayedTallies {
  readonly #tallies = new Map<string, Tally>();
  readonly #decayPerMs: number;
  readonly #prior: number;

  constructor(opts: { halfLifeMs: number; priorWeight: number }) {
    this.#decayPerMs = Math.LN2 / opts.halfLifeMs;
    this.#prior = Math.max(0, opts.priorWeight);
  }

  /** The posterior mean of the key's hit rate, `p` before any outcome. */
  posterior(key: string, p: number, now: number): number {
    const t = this.#tallies.get(key);
    const [hits, n] = t ? this.#decayed(t, now) : [0, 0];
    const w = this.#prior;
    return w + n > 0 ? (w * p + hits) / (w + n) : p;
  }

  count(key: string, hit: boolean, now: number): void {
    const t = this.#tallies.get(key);
    const [hits, n] = t ? this.#decayed(t, now) : [0, 0];
    this.#tallies.set(key, { hits: hits + (hit ? 1 : 0), n: n + 1, at: now });
  }

  /** Forgets keys back at the prior to within a twentieth of a try (they say nothing more), but those `keep` names. */
  prune(now: number, keep: (key: string) => boolean = () => false): void {
    for (const [key, t] of this.#tallies) if (this.#decayed(t, now)[1] < 0.05 && !keep(key)) this.#tallies.delete(key);
  }

  #decayed(t: Tally, now: number): [number, number] {
    const f = Math.exp(-this.#decayPerMs * Math.max(0, now - t.at));
    return [t.hits * f, t.n * f];
  }
}
