import { PlacementBandit } from "./bandit.ts";
import { PinGuard } from "./pinned-entries.ts";
import type { PlacementSettings } from "./placement.ts";
import { decidePinning, type LivePin, type PinCandidate } from "./pinning.ts";

/**
 * The placement job's cache-pin arm replayed inside the cache simulation, with the product's own
 * decisions (`decidePinning`), bandit and shield (`PinGuard`): every `everySteps` steps a run takes
 * the window of reads since the previous one, rewards and unpins, and pins shardlets whose reads
 * missed an entry the cache had evicted. One cache stands for the edges, and every shardlet for one
 * followed by no consumer group (the traces have none).
 */
export interface SimPinOptions {
  /** Steps between placement runs (the product's runs every minute: six 10 s steps). */
  everySteps: number;
  settings: PlacementSettings;
}

export interface SimPinStats {
  pinsMade: number;
  unpins: number;
  /** Pins held at the end. */
  pinned: number;
}

interface Counts {
  hits: number;
  misses: number;
  evictedMisses: number;
}

const STREAM = "sim";

export class SimPins {
  readonly guard: PinGuard;
  readonly #bandit: PlacementBandit;
  readonly #evicted = new Set<string>();
  #window = new Map<string, Counts>();
  readonly #pins = new Map<string, { context: string; runs: number; missRatioBefore: number; displaced: number } & Counts>();
  readonly stats: SimPinStats = { pinsMade: 0, unpins: 0, pinned: 0 };
  readonly #bytesOf: (key: string) => number | undefined;
  readonly #marginal: (now: number) => number;
  readonly #horizonsPerRun: number;

  constructor(
    private readonly o: SimPinOptions,
    cache: {
      maxBytes: number;
      bytesOf: (key: string) => number | undefined;
      valuePerByte: (key: string, now: number) => number;
      /** The cache's going rate per byte and horizon (`ValueCache.marginalValuePerByte`). */
      marginalValuePerByte: (now: number) => number;
      /** Horizons of the cache's values in one run's steps. */
      horizonsPerRun: number;
    },
  ) {
    this.#bandit = new PlacementBandit({ exploration: o.settings.exploration });
    this.guard = new PinGuard(cache);
    this.#bytesOf = cache.bytesOf;
    this.#marginal = cache.marginalValuePerByte;
    this.#horizonsPerRun = cache.horizonsPerRun;
  }

  /** An entry left the cache: a later read of it inside what it held is an evicted miss. */
  evicted(id: string): void {
    this.#evicted.add(id);
  }

  /** A read, before the cache is filled with it. */
  read(id: string, hit: boolean): void {
    let w = this.#window.get(id);
    if (!w) this.#window.set(id, (w = { hits: 0, misses: 0, evictedMisses: 0 }));
    if (hit) w.hits++;
    else {
      w.misses++;
      if (this.#evicted.has(id)) w.evictedMisses++;
    }
    this.#evicted.delete(id);
  }

  /** A step ended; every `everySteps` steps the placement job runs. */
  step(index: number, now: number): void {
    if (this.o.everySteps > 0 && index % this.o.everySteps === 0) this.#run(now);
  }

  #run(now: number): void {
    // As the job does: the shield as it stands at the run is charged for the whole run.
    const shielded = this.guard.shielded(now);
    const rate = this.#marginal(now);
    for (const [id, p] of this.#pins) if (shielded.has(id)) p.displaced += rate * (this.#bytesOf(id) ?? 0) * this.#horizonsPerRun;
    const live: LivePin[] = [...this.#pins].map(([shardletId, p]) => {
      const w = this.#window.get(shardletId);
      if (w) [p.hits, p.misses, p.evictedMisses] = [p.hits + w.hits, p.misses + w.misses, p.evictedMisses + w.evictedMisses];
      return { streamId: STREAM, shardletId, ...p, live: true };
    });
    const candidates: PinCandidate[] = [...this.#window].map(([shardletId, w]) => ({ streamId: STREAM, shardletId, ...w, groups: 0 }));
    this.#window = new Map();
    for (const d of decidePinning(this.#bandit, candidates, live, this.o.settings)) {
      if (d.arm === "cache-pin") {
        this.#pins.set(d.shardletId, { context: d.context, runs: 0, missRatioBefore: d.missRatio, hits: 0, misses: 0, evictedMisses: 0, displaced: 0 });
        this.stats.pinsMade++;
      } else if (d.arm === "unpin") {
        this.#pins.delete(d.shardletId);
        this.stats.unpins++;
      }
    }
    for (const p of this.#pins.values()) p.runs++;
    this.guard.set(this.#pins.keys(), this.o.settings.pinBudgetShare);
    this.stats.pinned = this.#pins.size;
  }

}
