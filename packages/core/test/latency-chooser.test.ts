import { describe, expect, it } from "vitest";
import { createRng, LatencyChooser, type Rng } from "../src/index.ts";

const TARGETS = ["host", "r1", "r2", "r3"];

/**
 * Sequential reads every `gapMs` from `from` to `to`, each taking its target's latency at the
 * time it starts plus up to 1 ms of noise (reported when it ends); returns how many reads each
 * target got.
 */
function run(chooser: LatencyChooser, jitter: Rng, latency: (target: string, t: number) => number, from: number, to: number, gapMs = 5, targets = TARGETS): Map<string, number> {
  const counts = new Map(targets.map((t) => [t, 0]));
  for (let t = from; t < to; t += gapMs) {
    const target = targets[chooser.choose(targets, t)]!;
    counts.set(target, counts.get(target)! + 1);
    const ms = latency(target, t) + jitter.next();
    chooser.observe(target, ms, t + ms);
  }
  return counts;
}

const share = (counts: Map<string, number>, target: string) => counts.get(target)! / [...counts.values()].reduce((a, b) => a + b, 0);

/** A chooser with a 1 s half-life and its simulated reads, both from one seed. */
function sim(seed: string, floorShare = 0.02, halfLifeReads?: number) {
  const rng = createRng(seed);
  const c = new LatencyChooser({ halfLifeMs: 1_000, floorShare, rng: rng.fork("choices"), ...(halfLifeReads !== undefined ? { halfLifeReads } : {}) });
  const noise = rng.fork("noise");
  return {
    c,
    run: (latency: (target: string, t: number) => number, from: number, to: number, gapMs?: number) => run(c, noise, latency, from, to, gapMs),
  };
}

describe("LatencyChooser", () => {
  it("leaves a target that turns slow within a second, but for the floor's share", () => {
    const { c, run: read } = sim("slow");
    const slowFrom = 3_000;
    const latency = (target: string, t: number) => (target === "r3" && t >= slowFrom ? 43 : 3 + (target.length % 2));
    const before = read(latency, 0, slowFrom);
    expect(share(before, "r3")).toBeGreaterThan(0.1);
    const firstSecond = read(latency, slowFrom, slowFrom + 1_000);
    expect(share(firstSecond, "r3")).toBeLessThan(0.05);
    const after = read(latency, slowFrom + 1_000, slowFrom + 21_000);
    // The floor: 2% of reads uniformly over four targets, about 0.5% each, never none.
    expect(share(after, "r3")).toBeGreaterThan(0.002);
    expect(share(after, "r3")).toBeLessThan(0.01);
    expect(c.estimate("r3", slowFrom + 21_000)).toBeGreaterThan(30);
  });

  it("at high read rates, leaves a target that turns slow within a few of its reads", () => {
    const slowFrom = 3_000;
    // The host answers slower than its replicas (it also takes the writes); r3 turns slow.
    const latency = (target: string, t: number) => (target === "host" ? 5 : target === "r3" && t >= slowFrom ? 32 : 2);
    // 1,000 reads a second; round-robin would send r3 about 60 in the quarter second after.
    for (const seed of [1, 2, 3]) {
      const { run: read } = sim(`fast-${seed}`);
      read(latency, 0, slowFrom, 1);
      expect(read(latency, slowFrom, slowFrom + 250, 1).get("r3")!).toBeLessThanOrEqual(4);
    }
  });

  it("keeps a busy target's mean to its last few dozen reads", () => {
    // A second of reads at 2 ms, 250 a second, then three at 32 ms.
    const mean = (halfLifeReads?: number) => {
      const { c } = sim("count", 0, halfLifeReads);
      for (let t = 0; t < 1_000; t += 4) c.observe("a", 2, t);
      for (const t of [1_001, 1_002, 1_003]) c.observe("a", 32, t);
      return c.estimate("a", 1_003)!;
    };
    // About 23 reads' weight by count: the three move it by about four milliseconds. By age
    // alone (a second's 360 reads) they would move it by a quarter of one.
    expect(mean()).toBeGreaterThan(5.5);
    expect(mean(1e9)).toBeLessThan(2.5);
  });

  it("takes two slow answers of the last three as the target's latency, one not", () => {
    const { c } = sim("median", 0);
    for (let t = 0; t < 1_000; t += 4) {
      c.observe("host", 5, t);
      c.observe("r3", 2, t);
    }
    // One slow answer: r3 still costs less than the host with a read under way there (5 x 2).
    c.observe("r3", 32, 1_001);
    c.begin("host", 1_001);
    expect(new Set(Array.from({ length: 20 }, () => c.choose(["host", "r3"], 1_002)))).toEqual(new Set([1]));
    // A second: its mean has moved only a few milliseconds, but it is now that slow.
    c.observe("r3", 32, 1_003);
    expect(c.estimate("r3", 1_003)).toBeLessThan(10);
    expect(new Set(Array.from({ length: 20 }, () => c.choose(["host", "r3"], 1_004)))).toEqual(new Set([0]));
  });

  it("keeps sharing among healthy targets whose answers are sometimes slow", () => {
    const { run: read } = sim("jitter");
    const tail = createRng("tail");
    // One answer in a hundred ten times the usual, on every target alike.
    const counts = read(() => (tail.next() < 0.01 ? 30 : 3), 0, 20_000, 1);
    for (const t of TARGETS) {
      expect(share(counts, t)).toBeGreaterThan(0.15);
      expect(share(counts, t)).toBeLessThan(0.35);
    }
  });

  it("uses a target again within seconds of its recovery, from the floor's reads alone", () => {
    const { run: read } = sim("recover");
    const latency = (target: string, t: number) => (target === "r3" && t >= 2_000 && t < 12_000 ? 43 : 3);
    read(latency, 0, 12_000);
    const seconds = [];
    for (let s = 12; s < 22; s++) seconds.push(share(read(latency, s * 1_000, (s + 1) * 1_000), "r3"));
    const back = seconds.findIndex((x) => x > 0.125);
    expect(back).toBeGreaterThanOrEqual(0);
    expect(back).toBeLessThanOrEqual(8);
    // About its fair quarter again by the end; second by second it varies, as between any targets
    // that answer alike (whose last answers happened to be slower loses its pairings meanwhile).
    expect(seconds.slice(-4).reduce((x, y) => x + y, 0) / 4).toBeGreaterThan(0.15);
  });

  it("sends a floor share to every target even when estimates never change", () => {
    const { run: read } = sim("floor", 0.2);
    const ms: Record<string, number> = { host: 2, r1: 20, r2: 30, r3: 50 };
    const counts = read((target) => ms[target]!, 0, 50_000);
    // The slowest loses every pairing, so it gets only the floor's choices: 20% over four.
    expect(share(counts, "r3")).toBeGreaterThan(0.04);
    expect(share(counts, "r3")).toBeLessThan(0.06);
    // Power of two choices, not the best of all: the second-slowest still wins against the slowest.
    expect(share(counts, "r2")).toBeGreaterThan(0.15);
  });

  it("counts a target without a fresh estimate as best, sending one read at a time to measure it", () => {
    const { c } = sim("fresh", 0);
    for (const t of ["host", "r1"]) c.observe(t, 3, 0);
    // r2 was never measured: every pairing with it picks it until a read of it is under way.
    const first = Array.from({ length: 40 }, () => ["host", "r1", "r2"][c.choose(["host", "r1", "r2"], 10)]);
    expect(first.filter((t) => t === "r2")).toHaveLength(1);
    expect(first.indexOf("r2")).toBeLessThan(10);
    // Its read is slow: it is left out from then on.
    c.observe("r2", 60, 70);
    expect(Array.from({ length: 40 }, () => c.choose(["host", "r1", "r2"], 80))).not.toContain(2);
    // Ten half-lives without a sample and its estimate counts as none: measured again, once.
    c.observe("host", 3, 10_000);
    c.observe("r1", 3, 10_000);
    expect(c.estimate("r2", 9_000)).toBeGreaterThan(50);
    expect(c.estimate("r2", 10_100)).toBeUndefined();
    const later = Array.from({ length: 40 }, () => c.choose(["host", "r1", "r2"], 10_100));
    expect(later.filter((i) => i === 2)).toHaveLength(1);
  });

  it("weighs a target's estimate by the reads still under way there", () => {
    const { c } = sim("in-flight", 0);
    c.observe("a", 10, 0);
    c.observe("b", 12, 0);
    // Equal but for a little: the faster wins every pairing.
    expect(new Set(Array.from({ length: 20 }, () => c.choose(["a", "b"], 1)))).toEqual(new Set([0]));
    // Two reads of a that have not answered yet: a costs 10 x 3 against b's 12.
    c.begin("a", 2);
    c.begin("a", 2);
    expect(new Set(Array.from({ length: 20 }, () => c.choose(["a", "b"], 2)))).toEqual(new Set([1]));
    // One answers, one fails: none is under way any more, and a is the better again.
    c.observe("a", 10, 3);
    c.abandon("a");
    c.abandon("a");
    expect(new Set(Array.from({ length: 20 }, () => c.choose(["a", "b"], 4)))).toEqual(new Set([0]));
  });

  it("counts a read under way for longer than the estimate as the target's latency while it waits", () => {
    const { c } = sim("waiting", 0);
    c.observe("a", 10, 0);
    c.observe("b", 25, 0);
    c.begin("a", 100);
    // Just begun: a costs 10 x 2 against b's 25, and still wins.
    expect(new Set(Array.from({ length: 20 }, () => c.choose(["a", "b"], 101)))).toEqual(new Set([0]));
    // Waiting 15 ms already: a is that slow now (15 x 2), whatever its mean says.
    expect(new Set(Array.from({ length: 20 }, () => c.choose(["a", "b"], 115)))).toEqual(new Set([1]));
    // It answers: its time joins the mean and nothing waits any more.
    c.observe("a", 16, 116);
    expect(c.estimate("a", 116)).toBeLessThan(16);
    expect(new Set(Array.from({ length: 20 }, () => c.choose(["a", "b"], 117)))).toEqual(new Set([0]));
  });

  it("is deterministic for one random source and forgets a target on request", () => {
    const latency = (target: string) => (target === "r1" ? 10 : 4);
    const a = sim("same").run(latency, 0, 2_000);
    const b = sim("same").run(latency, 0, 2_000);
    expect([...a]).toEqual([...b]);
    const { c } = sim("forget");
    c.observe("r1", 5, 0);
    c.forget("r1");
    expect(c.estimate("r1", 0)).toBeUndefined();
    expect(c.choose(["only"], 0)).toBe(0);
    expect(() => new LatencyChooser({ halfLifeMs: 0, floorShare: 0.1, rng: createRng(0) })).toThrow(RangeError);
    expect(() => new LatencyChooser({ halfLifeMs: 1_000, halfLifeReads: 0, floorShare: 0.1, rng: createRng(0) })).toThrow(RangeError);
  });
});
