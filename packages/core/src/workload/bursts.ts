import { keyHash } from "../hash.ts";
import { HASH_SPACE } from "../types.ts";
import { createRng, deriveSeed } from "./rng.ts";

/**
 * Flash crowds: short bursts of extra traffic on a handful of keys whose hashes all fall into one
 * narrow hash window, so a burst lands on one (or a few neighbouring) shardlets the way a viral
 * item does, and splitting or pre-allocation has a target.
 *
 * Bursts are a pure function of (seed, time): time is cut into slots of `slotMs`; each slot holds
 * one burst with probability `chance`, at a random offset inside the slot.
 */
export interface BurstOptions {
  /** Length of a burst slot in ms. Default: a sixth of the compressed day (see `resolveBursts`). */
  slotMs: number;
  /** Probability that a slot holds a burst, in [0, 1]. Default 0.5 (so ~3 bursts per compressed day). 0 disables. */
  chance: number;
  /** Mean burst length in ms; each burst draws 0.5x..1.5x of it (capped at the slot). Default: 1/40 of a day. */
  durationMs: number;
  /** Peak extra rate as a multiple of the rhythm's `baseRate`; each burst draws 0.5x..1.5x of it. Default 3. */
  intensity: number;
  /** Distinct keys one burst hits. Default 24. */
  keys: number;
  /** Width of the burst's hash window as a fraction of 2^32, in (0, 1]. Default 1/2048. */
  hashWidth: number;
}

export interface Burst {
  /** Slot number; unique per burst and stable for a seed. */
  index: number;
  startMs: number;
  endMs: number;
  /** Extra events per second at the top of the burst. */
  peakRate: number;
  /** Hash window [hashLo, hashHi) that every key of the burst falls into. */
  hashLo: number;
  hashHi: number;
}

/** Fills defaults relative to the compressed day and the base rate, and checks ranges. */
export function resolveBursts(opts: Partial<BurstOptions>, dayMs: number): BurstOptions {
  const r: BurstOptions = {
    slotMs: dayMs / 6,
    chance: 0.5,
    durationMs: dayMs / 40,
    intensity: 3,
    keys: 24,
    hashWidth: 1 / 2048,
    ...opts,
  };
  if (!(r.slotMs > 0) || !Number.isFinite(r.slotMs)) throw new RangeError(`bursts.slotMs must be > 0, got ${r.slotMs}`);
  if (!(r.chance >= 0 && r.chance <= 1)) throw new RangeError(`bursts.chance must be in [0, 1], got ${r.chance}`);
  if (!(r.durationMs > 0) || !Number.isFinite(r.durationMs)) {
    throw new RangeError(`bursts.durationMs must be > 0, got ${r.durationMs}`);
  }
  if (!(r.intensity >= 0) || !Number.isFinite(r.intensity)) throw new RangeError(`bursts.intensity must be >= 0, got ${r.intensity}`);
  if (!Number.isInteger(r.keys) || r.keys < 1) throw new RangeError(`bursts.keys must be a positive integer, got ${r.keys}`);
  if (!(r.hashWidth > 0 && r.hashWidth <= 1)) throw new RangeError(`bursts.hashWidth must be in (0, 1], got ${r.hashWidth}`);
  return r;
}

/** The burst scheduled in the slot containing `tMs`, or null if that slot has none. */
export function burstInSlot(seed: number, tMs: number, opts: BurstOptions, baseRate: number, originMs = 0): Burst | null {
  if (opts.chance === 0) return null;
  const index = Math.floor((tMs - originMs) / opts.slotMs);
  const rng = createRng(deriveSeed(seed, `burst:${index}`));
  if (!rng.chance(opts.chance)) return null;
  const duration = Math.min(opts.slotMs, opts.durationMs * rng.range(0.5, 1.5));
  const slotStart = originMs + index * opts.slotMs;
  const startMs = slotStart + rng.next() * (opts.slotMs - duration);
  const width = Math.max(1, Math.floor(opts.hashWidth * HASH_SPACE));
  const hashLo = Math.floor(rng.next() * (HASH_SPACE - width + 1));
  return {
    index,
    startMs,
    endMs: startMs + duration,
    peakRate: baseRate * opts.intensity * rng.range(0.5, 1.5),
    hashLo,
    hashHi: hashLo + width,
  };
}

/**
 * Extra rate of `burst` at `tMs`: a fast linear rise over the first 15% of the burst, then a
 * linear decay to zero (crowds arrive together and drift away).
 */
export function burstRate(burst: Burst, tMs: number): number {
  if (tMs < burst.startMs || tMs >= burst.endMs) return 0;
  const f = (tMs - burst.startMs) / (burst.endMs - burst.startMs);
  const RISE = 0.15;
  return burst.peakRate * (f < RISE ? f / RISE : (1 - f) / (1 - RISE));
}

/**
 * The keys of a burst: `${prefix}${index}-${n}` for the first `count` values of n whose key hash
 * falls in the burst's window (about count / hashWidth hashes, a few milliseconds).
 */
export function burstKeys(burst: Burst, count: number, prefix = "flash-"): string[] {
  const keys: string[] = [];
  for (let n = 0; keys.length < count; n++) {
    const key = `${prefix}${burst.index}-${n}`;
    const h = keyHash(key);
    if (h >= burst.hashLo && h < burst.hashHi) keys.push(key);
  }
  return keys;
}
