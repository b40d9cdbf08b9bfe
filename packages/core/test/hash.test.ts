import { describe, expect, it } from "vitest";
import { keyHash, keyHashSeeded, murmur3_32 } from "../src/hash.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);

describe("murmur3_32", () => {
  // Published MurmurHash3_x86_32 vectors (SMHasher / reference implementations).
  const vectors: Array<[string | number[], number, number]> = [
    ["", 0, 0],
    ["", 1, 0x514e28b7],
    ["", 0xffffffff, 0x81f16f39],
    [[0xff, 0xff, 0xff, 0xff], 0, 0x76293b50],
    [[0x21, 0x43, 0x65, 0x87], 0, 0xf55b516b],
    [[0x21, 0x43, 0x65, 0x87], 0x5082edee, 0x2362f9de],
    [[0x21, 0x43, 0x65], 0, 0x7e4a8634],
    [[0x21, 0x43], 0, 0xa0f7b07a],
    [[0x21], 0, 0x72661cf4],
    [[0, 0, 0, 0], 0, 0x2362f9de],
    [[0, 0, 0], 0, 0x85f0b427],
    [[0, 0], 0, 0x30f4c306],
    [[0], 0, 0x514e28b7],
    ["hello", 0, 0x248bfa47],
    ["Hello, world!", 0, 0xc0363e43],
    ["Hello, world!", 1234, 0xfaf6cdb3],
    ["The quick brown fox jumps over the lazy dog", 0, 0x2e4ff723],
    ["aaaa", 0x9747b28c, 0x5a97808a],
    ["abc", 0, 0xb3dd93fa],
    ["abcd", 0x9747b28c, 0xf0478627],
    ["Hello, world!", 0x9747b28c, 0x24884cba],
  ];

  for (const [input, seed, expected] of vectors) {
    const bytes = typeof input === "string" ? utf8(input) : Uint8Array.from(input);
    it(`${JSON.stringify(input)} seed ${seed.toString(16)} -> ${expected.toString(16)}`, () => {
      expect(murmur3_32(bytes, seed)).toBe(expected);
    });
  }

  it("returns unsigned 32-bit integers", () => {
    for (let i = 0; i < 1000; i++) {
      const h = murmur3_32(utf8(`key-${i}`));
      expect(Number.isInteger(h)).toBe(true);
      expect(h).toBeGreaterThanOrEqual(0);
      expect(h).toBeLessThan(2 ** 32);
    }
  });
});

describe("keyHash", () => {
  it("matches murmur3 of the UTF-8 bytes for ASCII keys of every tail length", () => {
    for (let len = 0; len < 40; len++) {
      const key = "abcdefghijklmnopqrstuvwxyz0123456789-_.~".slice(0, len);
      expect(keyHash(key)).toBe(murmur3_32(utf8(key)));
    }
    expect(keyHash("hello")).toBe(0x248bfa47);
    expect(keyHash("The quick brown fox jumps over the lazy dog")).toBe(0x2e4ff723);
  });

  it("hashes the UTF-8 bytes of non-ASCII keys", () => {
    const keys = [
      "ü",
      "naïve",
      "日本語のキー",
      "emoji 🚀 key",
      "🚀",
      "a🚀b",
      "ascii-prefix-then-é",
      "é-then-ascii-suffix",
      "abcd\u0080",
      "abc\u07ff",
      "\uffff",
      "x".repeat(2000) + "ß", // longer than the initial scratch buffer
    ];
    for (const key of keys) expect(keyHash(key), key).toBe(murmur3_32(utf8(key)));
  });

  it("encodes lone surrogates as U+FFFD like TextEncoder", () => {
    for (const key of ["\ud800", "ab\udc00cd", "abcd\ud83d"]) expect(keyHash(key)).toBe(murmur3_32(utf8(key)));
  });

  it("passes the seed through", () => {
    expect(keyHashSeeded("Hello, world!", 1234)).toBe(0xfaf6cdb3);
    expect(keyHashSeeded("naïve", 42)).toBe(murmur3_32(utf8("naïve"), 42));
  });

  it("spreads sequential keys evenly over the hash space", () => {
    const buckets = new Array<number>(16).fill(0);
    const n = 64_000;
    for (let i = 0; i < n; i++) buckets[keyHash(`user-${i}`) >>> 28]!++;
    for (const b of buckets) expect(Math.abs(b - n / 16)).toBeLessThan((n / 16) * 0.05);
  });
});
