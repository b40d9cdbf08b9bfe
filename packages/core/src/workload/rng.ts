import { keyHashSeeded } from "../hash.ts";

/**
 * A small seeded pseudo-random generator (mulberry32: 32-bit state, period 2^32, passes the usual
 * quick statistical batteries). Good enough for workloads and simulation; not for secrets.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform unsigned 32-bit integer. */
  uint32(): number;
  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** Uniform float in [lo, hi). */
  range(lo: number, hi: number): number;
  /** True with probability `p`. */
  chance(p: number): boolean;
  /** A uniformly chosen element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** Standard normal (Box-Muller). */
  normal(): number;
  /** Exponential with the given rate (mean 1/rate). */
  exponential(rate: number): number;
  /** An independent generator for a named sub-stream, so adding draws in one part leaves others unchanged. */
  fork(label: string): Rng;
}

/** Turns a number or a string into a 32-bit seed (strings are hashed, so "demo" is a valid seed). */
export function toSeed(seed: number | string): number {
  if (typeof seed === "string") return keyHashSeeded(seed, 0x9e3779b9);
  // splitmix32-style scramble so seeds 1, 2, 3... start far apart.
  let z = (Math.trunc(seed) + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** Derives the seed of a named sub-stream of `seed`. */
export function deriveSeed(seed: number | string, label: string): number {
  return keyHashSeeded(label, toSeed(seed));
}

/** A mulberry32 generator seeded from `seed` (number or string). Same seed, same sequence. */
export function createRng(seed: number | string): Rng {
  const base = toSeed(seed);
  let state = base;
  const uint32 = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const next = (): number => uint32() / 4294967296;
  let spareNormal: number | null = null;
  return {
    next,
    uint32,
    int: (maxExclusive) => Math.floor(next() * maxExclusive),
    range: (lo, hi) => lo + next() * (hi - lo),
    chance: (p) => next() < p,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError("pick from an empty array");
      return items[Math.floor(next() * items.length)]!;
    },
    normal() {
      if (spareNormal !== null) {
        const v = spareNormal;
        spareNormal = null;
        return v;
      }
      // 1 - next() is in (0, 1], so the log is finite.
      const r = Math.sqrt(-2 * Math.log(1 - next()));
      const theta = 2 * Math.PI * next();
      spareNormal = r * Math.sin(theta);
      return r * Math.cos(theta);
    },
    exponential: (rate) => -Math.log(1 - next()) / rate,
    fork: (label) => createRng(deriveSeed(base, label)),
  };
}
