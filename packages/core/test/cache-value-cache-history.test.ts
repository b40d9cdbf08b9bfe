import { describe, expect, it } from "vitest";
import { PredictionOutcomes, ValueCache } from "../src/index.ts";

const H = 10_000;

describe("ValueCache read histories and going rate", () => {
  it("brings an evicted entry back worth what its reads said, not a newcomer's prior", () => {
    const chances = (historyEntries: number) => {
      const c = new ValueCache<string>({ maxBytes: 100, horizonMs: H, historyEntries });
      c.fill("regular", "r", 100, 0);
      for (let t = 1; t <= 10; t++) c.read("regular", t * H);
      // A one-off read takes the only room, then the regular reader misses and refills.
      c.fill("once", "o", 100, 10 * H + 1);
      c.fill("regular", "r", 100, 11 * H);
      const regular = c.readChance("regular", 11 * H);
      c.fill("once", "o", 100, 11 * H + 1);
      c.fill("fresh", "f", 100, 11 * H + 2);
      return { regular, newcomer: c.readChance("fresh", 11 * H + 2) };
    };
    const kept = chances(16);
    expect(kept.regular).toBeGreaterThan(2 * kept.newcomer);
    const forgotten = chances(0);
    expect(forgotten.regular).toBeCloseTo(forgotten.newcomer, 2);
  });

  it("refuses a prefetch worth under twice what demand fills lately evicted, until that rate has decayed", () => {
    const run = (cutMargin?: number) => {
      const c = new ValueCache<string>({ maxBytes: 100, horizonMs: H, ...(cutMargin !== undefined ? { cutMargin } : {}) });
      c.fill("a", "a", 50, 0);
      c.fill("b", "b", 50, 0);
      c.fill("c", "c", 50, 1);
      const cut = 0.221; // a once-read entry's chance within a step, what "c" evicted ("a")
      const now = 2;
      return { c, admitted: c.fill("d", "d", 50, now, { p: 1.5 * cut, until: now + H }) };
    };
    expect(run(0).admitted).toBe(true);
    const { c, admitted } = run();
    expect(admitted).toBe(false);
    expect(c.skipped).toBe(1);
    expect(c.admits("d", 50, 2, { p: 0.33, until: 2 + H })).toBe(false);
    // Five horizons without a miss: the rate has decayed, and "d" outranks what it evicts.
    const later = 5 * H;
    expect(c.admits("d", 50, later, { p: 0.33, until: later + H })).toBe(true);
    expect(c.fill("d", "d", 50, later, { p: 0.33, until: later + H })).toBe(true);
  });
});

describe("PredictionOutcomes", () => {
  it("moves a pair's precision from the engine's p toward whether its reads came, and back as outcomes age", () => {
    const o = new PredictionOutcomes({ halfLifeMs: 100 * H });
    expect(o.precision("t", "s1", 0.7, 0)).toBe(0.7);
    for (let i = 0; i < 6; i++) {
      const at = i * 3 * H;
      o.announce("t", "s1", at + 2 * H);
      o.announce("t", "s2", at + 2 * H);
      // s2's read comes in time; s1's comes only after its announcement lapsed.
      o.read("s2", at + H);
      o.read("s1", at + 2 * H + 1);
      o.expire(at + 3 * H);
    }
    expect(o.pending).toBe(0);
    const now = 18 * H;
    expect(o.precision("t", "s1", 0.7, now)).toBeLessThan(0.5);
    expect(o.precision("t", "s2", 0.7, now)).toBeGreaterThan(0.85);
    // Another type's announcements of the same shardlet are judged on their own.
    expect(o.precision("u", "s1", 0.7, now)).toBe(0.7);
    expect(o.precision("t", "s1", 0.7, now + 2_000 * H)).toBeCloseTo(0.7, 2);
  });

  it("counts a repeated announcement while one waits once, with the later deadline", () => {
    const o = new PredictionOutcomes({ halfLifeMs: 100 * H, priorWeight: 1 });
    o.announce("t", "s", H);
    o.announce("t", "s", 3 * H);
    expect(o.pending).toBe(1);
    o.read("s", 2 * H);
    // One hit out of one with a prior worth one announcement at 0.5.
    expect(o.precision("t", "s", 0.5, 2 * H)).toBeCloseTo(0.75, 9);
  });

  it("does not count a read that came before a prefetch started at its time would have been there", () => {
    const o = new PredictionOutcomes({ halfLifeMs: 100 * H, priorWeight: 1 });
    o.announce("t", "s", 3 * H, 2 * H);
    o.read("s", H);
    expect(o.pending).toBe(1);
    o.expire(3 * H + 1);
    // A miss: the read at H would have found nothing prefetched yet.
    expect(o.precision("t", "s", 0.5, 3 * H + 1)).toBeCloseTo(0.25, 6);
  });
});
