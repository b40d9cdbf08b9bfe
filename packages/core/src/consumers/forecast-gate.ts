/**
 * Whether a shardlet's arrival forecast has earned its use in checkpoint decisions. Each decision
 * predicts the arrivals of an interval still to come twice: by the forecast, and by the rate just
 * observed (what the reactive rule assumes). Once that interval has passed, both predictions are
 * scored against what arrived; the forecast is used only while its time-decayed mean absolute
 * error is below the observed rate's. Where it has no skill (or too few scored predictions yet),
 * the decision uses the observed rate alone, exactly like the reactive rule: a forecast only ever
 * raises the rate a decision assumes, so an unskilled one costs checkpoints and buys nothing.
 *
 * Pure: the caller names intervals (`at`, any increasing number: a telemetry bucket, a tick) and
 * keeps the gate for as long as it likes; a new gate starts without skill.
 */
export interface ForecastGateOptions {
  /** Scored predictions after which a score weighs half (default 20). */
  halfLifeSamples?: number;
  /** Scored predictions needed before the forecast may be used (default 6). */
  minSamples?: number;
}

interface Skill {
  forecastErr: number;
  recentErr: number;
  weight: number;
  samples: number;
  /** The prediction waiting for its interval to pass. */
  pending: { at: number; forecast: number; recent: number } | null;
}

export class ForecastGate {
  readonly #skills = new Map<string, Skill>();
  readonly #keep: number;
  readonly #minSamples: number;

  constructor(opts: ForecastGateOptions = {}) {
    const half = opts.halfLifeSamples ?? 20;
    if (!(half > 0)) throw new RangeError(`halfLifeSamples must be above 0, got ${half}`);
    this.#keep = 2 ** (-1 / half);
    this.#minSamples = Math.max(1, Math.floor(opts.minSamples ?? 6));
  }

  /** The interval a prediction of `key` waits for, if any. */
  pendingAt(key: string): number | undefined {
    return this.#skills.get(key)?.pending?.at;
  }

  /**
   * The rate that arrived over interval `at`: scores the prediction made for it (a prediction for
   * an earlier interval that was never scored is dropped; rates that are not finite are ignored).
   */
  realized(key: string, at: number, rate: number): void {
    const s = this.#skills.get(key);
    const p = s?.pending;
    if (!s || !p || p.at > at || !Number.isFinite(rate)) return;
    s.pending = null;
    if (p.at < at) return;
    s.forecastErr = s.forecastErr * this.#keep + Math.abs(p.forecast - rate);
    s.recentErr = s.recentErr * this.#keep + Math.abs(p.recent - rate);
    s.weight = s.weight * this.#keep + 1;
    s.samples++;
  }

  /** What the forecast and the observed rate predict for interval `at` (replaces an earlier prediction not yet scored). */
  predicted(key: string, at: number, forecast: number, recent: number): void {
    if (!Number.isFinite(forecast) || !Number.isFinite(recent)) return;
    let s = this.#skills.get(key);
    if (!s) this.#skills.set(key, (s = { forecastErr: 0, recentErr: 0, weight: 0, samples: 0, pending: null }));
    s.pending = { at, forecast, recent };
  }

  /**
   * One decision's rate: scores the prediction waiting for its interval with what `arrived` says
   * came then (undefined: not known yet, it keeps waiting), predicts interval `at` with both, and
   * answers the forecast while it has skill, else the observed rate. Every caller's step, so the
   * checkpoint job and its simulation gate alike.
   */
  rate(key: string, at: number, forecast: number, recent: number, arrived: (at: number) => number | undefined): number {
    const pending = this.pendingAt(key);
    const came = pending === undefined ? undefined : arrived(pending);
    if (pending !== undefined && came !== undefined) this.realized(key, pending, came);
    this.predicted(key, at, forecast, recent);
    return this.skilled(key) ? forecast : recent;
  }

  /** Whether the forecast predicted better than the observed rate lately, over enough scored predictions. */
  skilled(key: string): boolean {
    const s = this.#skills.get(key);
    return !!s && s.samples >= this.#minSamples && s.forecastErr < s.recentErr;
  }

  /** The decayed mean absolute errors (undefined before any prediction was scored). */
  errors(key: string): { forecast: number; recent: number; samples: number } | undefined {
    const s = this.#skills.get(key);
    return s && s.weight > 0 ? { forecast: s.forecastErr / s.weight, recent: s.recentErr / s.weight, samples: s.samples } : undefined;
  }

  /** Drops what is known of `key` (a shardlet retired or no longer the caller's). */
  forget(key: string): void {
    this.#skills.delete(key);
  }

  /** Keys known, e.g. to forget those no longer in use. */
  keys(): IterableIterator<string> {
    return this.#skills.keys();
  }
}
