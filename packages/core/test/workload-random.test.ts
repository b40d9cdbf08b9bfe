import { describe, expect, it } from "vitest";
import { createRng } from "../src/workload/rng.ts";
import { ZipfSampler } from "../src/workload/zipf.ts";

/** The workload's random sources: the seeded generator and the Zipf key sampler. */
describe("createRng", () => {
  it("repeats for a seed and differs between seeds", () => {
    const draw = (seed: number | string) => {
      const r = createRng(seed);
      return Array.from({ length: 8 }, () => r.uint32());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw("demo")).toEqual(draw("demo"));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw("demo")).not.toEqual(draw("demo2"));
  });

  it("is roughly uniform in [0, 1)", () => {
    const r = createRng(1);
    const buckets = new Array<number>(10).fill(0);
    const n = 100_000;
    let outOfRange = 0;
    for (let i = 0; i < n; i++) {
      const x = r.next();
      if (!(x >= 0 && x < 1)) outOfRange++;
      buckets[Math.floor(x * 10)]!++;
    }
    expect(outOfRange).toBe(0);
    for (const b of buckets) expect(Math.abs(b - n / 10)).toBeLessThan(n / 10 / 20);
  });

  it("forks independent, reproducible sub-streams", () => {
    const a = createRng(5).fork("x");
    const b = createRng(5).fork("x");
    const c = createRng(5).fork("y");
    const va = [a.uint32(), a.uint32()];
    expect([b.uint32(), b.uint32()]).toEqual(va);
    expect([c.uint32(), c.uint32()]).not.toEqual(va);
  });

  it("draws normals with mean 0 and variance 1", () => {
    const r = createRng(9);
    let sum = 0;
    let sq = 0;
    const n = 50_000;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      sum += x;
      sq += x * x;
    }
    expect(Math.abs(sum / n)).toBeLessThan(0.03);
    expect(Math.abs(sq / n - 1)).toBeLessThan(0.03);
  });
});

describe("ZipfSampler", () => {
  for (const [n, s] of [
    [1000, 1.1],
    [10_000, 0.9],
    [100, 1.5],
    [50_000, 1],
  ] as const) {
    it(`matches theory for n=${n}, s=${s}`, () => {
      const z = new ZipfSampler(n, s, createRng(`zipf-${n}-${s}`));
      const samples = 200_000;
      const counts = new Map<number, number>();
      let outOfRange = 0;
      for (let i = 0; i < samples; i++) {
        const r = z.sample();
        if (!(r >= 0 && r < n && Number.isInteger(r))) outOfRange++;
        counts.set(r, (counts.get(r) ?? 0) + 1);
      }
      expect(outOfRange).toBe(0);
      // Top key share within 3% (relative) of theory; the next few ranks within 6%.
      const top = (counts.get(0) ?? 0) / samples;
      expect(Math.abs(top - z.probability(0)) / z.probability(0)).toBeLessThan(0.03);
      for (let r = 1; r < 5; r++) {
        const share = (counts.get(r) ?? 0) / samples;
        expect(Math.abs(share - z.probability(r)) / z.probability(r)).toBeLessThan(0.06);
      }
      let top10 = 0;
      for (let r = 0; r < 10; r++) top10 += counts.get(r) ?? 0;
      expect(Math.abs(top10 / samples - z.topShare(10))).toBeLessThan(0.01);
    });
  }

  it("fits the whole distribution (chi-square over every rank)", () => {
    const n = 50;
    const z = new ZipfSampler(n, 1.1, createRng("chi"));
    const samples = 400_000;
    const counts = new Array<number>(n).fill(0);
    for (let i = 0; i < samples; i++) counts[z.sample()]!++;
    let chi2 = 0;
    for (let r = 0; r < n; r++) {
      const expected = samples * z.probability(r);
      chi2 += (counts[r]! - expected) ** 2 / expected;
    }
    // 49 degrees of freedom: mean 49, standard deviation ~9.9; 100 is beyond five deviations.
    expect(chi2).toBeLessThan(100);
  });

  it("is uniform for s = 0 and rejects bad parameters", () => {
    const z = new ZipfSampler(4, 0, createRng(3));
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 40_000; i++) counts[z.sample()]!++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500);
    expect(() => new ZipfSampler(0, 1, createRng(1))).toThrow(RangeError);
    expect(() => new ZipfSampler(10, -1, createRng(1))).toThrow(RangeError);
  });

  it("probabilities sum to 1", () => {
    const z = new ZipfSampler(500, 1.2, createRng(1));
    expect(z.topShare(500)).toBeCloseTo(1, 10);
  });
});
