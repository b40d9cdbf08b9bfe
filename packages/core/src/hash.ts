/**
 * Key hashing: MurmurHash3 x86 32-bit over the UTF-8 bytes of a key. The hash is part of the
 * storage format (it decides which shardlet owns a key), so it must never change: the test vectors
 * in test/hash.test.ts pin it.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

function mixBlock(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  h ^= k;
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

function mixTail(h: number, k: number): number {
  k = Math.imul(k, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  return h ^ k;
}

function finalize(h: number, length: number): number {
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Murmur3 over the first `length` bytes of `bytes` (lets callers hash a reused scratch buffer). */
function murmurBytes(bytes: Uint8Array, length: number, seed: number): number {
  let h = seed | 0;
  const blockEnd = length & ~3;
  let i = 0;
  for (; i < blockEnd; i += 4) {
    h = mixBlock(h, bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24));
  }
  const rest = length & 3;
  if (rest !== 0) {
    let k = 0;
    if (rest === 3) k ^= bytes[i + 2]! << 16;
    if (rest >= 2) k ^= bytes[i + 1]! << 8;
    k ^= bytes[i]!;
    h = mixTail(h, k);
  }
  return finalize(h, length);
}

/**
 * MurmurHash3 x86 32-bit of `bytes` with `seed` (taken modulo 2^32).
 * @returns an unsigned 32-bit integer in [0, 2^32).
 */
export function murmur3_32(bytes: Uint8Array, seed = 0): number {
  return murmurBytes(bytes, bytes.length, seed);
}

const encoder = new TextEncoder();
// Reused for non-ASCII keys so hashing does not allocate per call; grows to the longest key seen.
let scratch = new Uint8Array(1024);

function hashUtf8(key: string, seed: number): number {
  // A UTF-16 code unit never takes more than 3 UTF-8 bytes (a surrogate pair is 4 bytes for 2 units).
  const needed = key.length * 3;
  if (scratch.length < needed) scratch = new Uint8Array(Math.max(needed, scratch.length * 2));
  const { written } = encoder.encodeInto(key, scratch);
  return murmurBytes(scratch, written, seed);
}

/**
 * Murmur3 x86 32-bit of the UTF-8 encoding of `key` (lone surrogates encode as U+FFFD, as
 * `TextEncoder` does). ASCII keys, the common case, are hashed straight from their char codes
 * without encoding; any other key goes through `TextEncoder.encodeInto` on a reused buffer.
 * @returns an unsigned 32-bit integer in [0, 2^32).
 */
export function keyHashSeeded(key: string, seed: number): number {
  const length = key.length;
  let h = seed | 0;
  const blockEnd = length & ~3;
  let i = 0;
  for (; i < blockEnd; i += 4) {
    const c0 = key.charCodeAt(i);
    const c1 = key.charCodeAt(i + 1);
    const c2 = key.charCodeAt(i + 2);
    const c3 = key.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) > 0x7f) return hashUtf8(key, seed);
    h = mixBlock(h, c0 | (c1 << 8) | (c2 << 16) | (c3 << 24));
  }
  const rest = length & 3;
  if (rest !== 0) {
    const c0 = key.charCodeAt(i);
    const c1 = rest >= 2 ? key.charCodeAt(i + 1) : 0;
    const c2 = rest === 3 ? key.charCodeAt(i + 2) : 0;
    if ((c0 | c1 | c2) > 0x7f) return hashUtf8(key, seed);
    h = mixTail(h, c0 | (c1 << 8) | (c2 << 16));
  }
  return finalize(h, length);
}

/**
 * The routing hash of an event key: murmur3 x86 32-bit, seed 0, over the key's UTF-8 bytes.
 * @returns an unsigned 32-bit integer in [0, 2^32).
 */
export function keyHash(key: string): number {
  return keyHashSeeded(key, 0);
}
