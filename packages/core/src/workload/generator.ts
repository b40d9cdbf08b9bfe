import { burstInSlot, burstKeys, burstRate, resolveBursts, type Burst, type BurstOptions } from "./bursts.ts";
import { buildPayload, TypeChooser, type WorkloadEventType } from "./events.ts";
import { resolveRhythm, rhythmRate, type RhythmOptions } from "./rhythm.ts";
import { createRng, toSeed, type Rng } from "./rng.ts";
import { ZipfSampler } from "./zipf.ts";

/** One generated event, in the edge's REST input shape (`POST /v1/streams/:stream/events`). */
export interface WorkloadEvent {
  key: string;
  /** Unique within a generator: `${idPrefix}-${sequence in base 36}`. */
  id: string;
  type: WorkloadEventType;
  /** Event time, epoch ms. */
  ts: number;
  payload: Record<string, unknown>;
}

export interface WorkloadOptions {
  /** Seed (number or string). Same seed and same calls give the same events. Default "shardcast". */
  seed: number | string;
  /** Size of the regular key space (`${keyPrefix}0` .. `${keyPrefix}${keys - 1}`). Default 10,000. */
  keys: number;
  /** Zipf exponent of key popularity (0 uniform, ~1 web-like, higher hotter). Default 1.1. */
  zipfS: number;
  /** Prefix of regular keys. Default "user-". */
  keyPrefix: string;
  /**
   * Drifting hot set: every `everyMs` of event time the popularity ranking rotates by `step` keys,
   * so the hottest keys change over time and yesterday's hot keys go cold. `false` (default)
   * keeps popularity fixed.
   */
  drift: { everyMs: number; step: number } | false;
  /** Load curve; see `RhythmOptions`. */
  rhythm: Partial<RhythmOptions>;
  /** Flash crowds; see `BurstOptions`. `false` disables them. */
  bursts: Partial<BurstOptions> | false;
  /**
   * Prefix of event ids. Default: derived from the seed, so a rerun with the same seed repeats the
   * same ids (and an idempotent log stores them once). A producer that restarts and must not
   * repeat ids passes a fresh prefix (e.g. its start time).
   */
  idPrefix: string;
  /** Start of the generator's event clock (epoch ms). Default: the rhythm's `originMs`. */
  startMs: number;
  /** Chance that a key with recent history follows the type transition table. Default 0.6. */
  followProbability: number;
}

const DEFAULTS = { seed: "shardcast", keys: 10_000, zipfS: 1.1, keyPrefix: "user-", followProbability: 0.6 };

/**
 * Deterministic event workload for the demo producer, the benchmarks and the simulator: Zipf-skewed
 * keys, correlated event types with small JSON payloads, a compressed daily rhythm and flash
 * crowds.
 *
 * Two ways to drive it:
 * - real time: call `due(Date.now())` on a timer for how many events are owed, then
 *   `nextBatch(n, Date.now())`;
 * - event time: call `nextBatch(n)` repeatedly; the internal clock advances by n / rate, so a
 *   sequence of batches follows the rhythm (and its bursts) in simulated time.
 */
export class WorkloadGenerator {
  readonly options: Readonly<Omit<WorkloadOptions, "rhythm" | "bursts">> & {
    readonly rhythm: RhythmOptions;
    readonly bursts: BurstOptions | false;
  };
  readonly #seed: number;
  readonly #keyRng: Rng;
  readonly #payloadRng: Rng;
  readonly #zipf: ZipfSampler;
  readonly #types: TypeChooser;
  #clock: number;
  #sequence = 0;
  #burstKeys: { index: number; keys: string[] } | null = null;
  #slot: { index: number; burst: Burst | null } | null = null;
  #dueFrom: number | null = null;
  #dueCarry = 0;

  constructor(opts: Partial<WorkloadOptions> = {}) {
    const seed = opts.seed ?? DEFAULTS.seed;
    const rhythm = resolveRhythm(opts.rhythm);
    const bursts = opts.bursts === false ? false : resolveBursts(opts.bursts ?? {}, rhythm.dayMs);
    const keys = opts.keys ?? DEFAULTS.keys;
    const drift = opts.drift ?? false;
    if (drift && (!(drift.everyMs > 0) || !Number.isInteger(drift.step))) {
      throw new RangeError("drift.everyMs must be > 0 and drift.step an integer");
    }
    this.#seed = toSeed(seed);
    this.options = {
      seed,
      keys,
      zipfS: opts.zipfS ?? DEFAULTS.zipfS,
      keyPrefix: opts.keyPrefix ?? DEFAULTS.keyPrefix,
      drift,
      rhythm,
      bursts,
      idPrefix: opts.idPrefix ?? `w${this.#seed.toString(36)}`,
      startMs: opts.startMs ?? rhythm.originMs,
      followProbability: opts.followProbability ?? DEFAULTS.followProbability,
    };
    const root = createRng(this.#seed);
    this.#keyRng = root.fork("keys");
    this.#payloadRng = root.fork("payload");
    this.#zipf = new ZipfSampler(keys, this.options.zipfS, root.fork("zipf"));
    this.#types = new TypeChooser(root.fork("types"), this.options.followProbability);
    this.#clock = this.options.startMs;
  }

  /** The event clock (epoch ms): where the next `nextBatch()` without a time starts. */
  get clock(): number {
    return this.#clock;
  }

  /** Events generated so far. */
  get generated(): number {
    return this.#sequence;
  }

  /** The Zipf sampler of regular keys (for its theoretical shares). */
  get zipf(): ZipfSampler {
    return this.#zipf;
  }

  /** The flash crowd active at `tMs`, if any. */
  burstAt(tMs: number): Burst | null {
    const bursts = this.options.bursts;
    if (bursts === false) return null;
    const origin = this.options.rhythm.originMs;
    const index = Math.floor((tMs - origin) / bursts.slotMs);
    // Consecutive events almost always share a slot; drawing the slot's burst costs a fresh Rng.
    if (this.#slot?.index !== index) {
      this.#slot = { index, burst: burstInSlot(this.#seed, tMs, bursts, this.options.rhythm.baseRate, origin) };
    }
    const b = this.#slot.burst;
    return b !== null && tMs >= b.startMs && tMs < b.endMs ? b : null;
  }

  /** Expected events per second at `tMs`: the rhythm plus any burst. */
  rateAt(tMs: number): number {
    const burst = this.burstAt(tMs);
    return rhythmRate(tMs, this.options.rhythm) + (burst ? burstRate(burst, tMs) : 0);
  }

  /** The regular key at popularity rank `rank` (0 = hottest) at event time `tMs`. */
  keyAt(rank: number, tMs: number): string {
    const n = this.options.keys;
    let index = rank;
    const drift = this.options.drift;
    if (drift) {
      const shift = Math.floor((tMs - this.options.rhythm.originMs) / drift.everyMs) * drift.step;
      index = (((rank + shift) % n) + n) % n;
    }
    return `${this.options.keyPrefix}${index}`;
  }

  /**
   * Number of events owed between the previous call and `nowMs` at the current rate (integrated
   * in steps of at most 250 ms, with the fractional remainder carried). The first call returns 0.
   */
  due(nowMs: number): number {
    if (this.#dueFrom === null || nowMs <= this.#dueFrom) {
      this.#dueFrom ??= nowMs;
      return 0;
    }
    let total = this.#dueCarry;
    let t = this.#dueFrom;
    while (t < nowMs) {
      const next = Math.min(nowMs, t + 250);
      total += ((this.rateAt(t) + this.rateAt(next)) / 2) * ((next - t) / 1000);
      t = next;
    }
    this.#dueFrom = nowMs;
    const whole = Math.floor(total);
    this.#dueCarry = total - whole;
    return whole;
  }

  /**
   * The next `size` events. With `atMs`, every event is stamped `atMs` and the clock moves there;
   * without it, the events are spread over the span they take at the current rate, starting at
   * the clock, and the clock advances past them.
   */
  nextBatch(size: number, atMs?: number): WorkloadEvent[] {
    if (!Number.isInteger(size) || size < 0) throw new RangeError(`batch size must be a non-negative integer, got ${size}`);
    const events: WorkloadEvent[] = [];
    if (atMs !== undefined) {
      this.#clock = atMs;
      for (let i = 0; i < size; i++) events.push(this.#event(atMs));
      return events;
    }
    for (let i = 0; i < size; i++) {
      const t = this.#clock;
      events.push(this.#event(Math.floor(t)));
      // A floor on the rate keeps an all-zero rhythm from stalling the clock.
      this.#clock = t + 1000 / Math.max(this.rateAt(t), 1e-3);
    }
    return events;
  }

  #event(ts: number): WorkloadEvent {
    const key = this.#pickKey(ts);
    const type = this.#types.next(key);
    const id = `${this.options.idPrefix}-${(this.#sequence++).toString(36)}`;
    return { key, id, type, ts, payload: buildPayload(this.#payloadRng, key, type) };
  }

  #pickKey(ts: number): string {
    const burst = this.burstAt(ts);
    if (burst !== null && this.options.bursts !== false) {
      const extra = burstRate(burst, ts);
      const share = extra / (extra + rhythmRate(ts, this.options.rhythm));
      if (this.#keyRng.chance(share)) {
        let cached = this.#burstKeys;
        if (cached?.index !== burst.index) {
          cached = { index: burst.index, keys: burstKeys(burst, this.options.bursts.keys) };
          this.#burstKeys = cached;
        }
        return this.#keyRng.pick(cached.keys);
      }
    }
    return this.keyAt(this.#zipf.sample(), ts);
  }
}
