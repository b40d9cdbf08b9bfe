/** Hashing and bucketing of the content model's features (pure, on the per-event path). */

/** floor(log2(x + 1)) capped: buckets for gaps, counts and ratios. */
export function bucket(x: number, cap = 12): number {
  if (!(x > 0)) return 0;
  return Math.min(cap, Math.floor(Math.log2(x + 1)));
}

export function sigmoid(z: number): number {
  return 1 / (1 + Math.exp(-z));
}

/** The tenant part of a key: up to the first ':' '/' '|' or '.', or the whole key. */
export function keyPrefix(key: string): string {
  for (let i = 0; i < key.length && i < 64; i++) {
    const c = key.charCodeAt(i);
    if (c === 58 || c === 47 || c === 124 || c === 46) return key.slice(0, i);
  }
  return key.length <= 64 ? key : key.slice(0, 64);
}

/** murmur3's finaliser: spreads an integer's bits (features are hashed from integers, not strings, on the per-event path). */
export function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

export const FAMILY = { type: 1, prefix: 2, newKey: 3, newPrefix: 4, keyGap: 5, typeGap: 6, typeRate: 7, shardletRate: 8, seen: 9, usual: 10 } as const;
