import { describe, expect, it } from "vitest";
import { contestTuningSamples, scoredSamples } from "../src/contest/samples.ts";
import { pickKnobs } from "../src/contest/tune.ts";
import { measuredWindow, scoredStartDay, tuningSamples, type ContestSample } from "../src/contest/windows.ts";

const sample = (workload: ContestSample["workload"], seed: number, startDay = 0, days = 17): ContestSample => ({ workload, seed, startDay, days });

describe("the tuning split", () => {
  it("rolls a trace's scored runs over it, one measured window after another", () => {
    // The tweets hold 55 days: five runs of a 15-day warm-up and a measured week score five weeks.
    expect([0, 1, 2, 3, 4].map((i) => scoredStartDay("nab-tweets", i, 22))).toEqual([0, 7, 14, 21, 28]);
    const weeks = [0, 1, 2, 3, 4].map((i) => measuredWindow({ startDay: scoredStartDay("nab-tweets", i, 22), days: 22 }));
    expect(weeks).toEqual([
      [15, 22],
      [22, 29],
      [29, 36],
      [36, 43],
      [43, 50],
    ]);
    // More runs than windows wrap round; the three-week dos traces have one window; generators start at 0.
    expect(scoredStartDay("nab-tweets", 5, 22)).toBe(0);
    expect([0, 1, 2].map((i) => scoredStartDay("dos-traces", i, 21))).toEqual([0, 0, 0]);
    expect(scoredStartDay("diurnal", 3, 22)).toBe(0);
  });

  it("tunes generators on other seeds and traces on windows whose measured days no scored run measures", () => {
    const scored = [sample("diurnal", 1), sample("diurnal", 2), sample("nab-tweets", 1, 0, 22), sample("nab-tweets", 2, 7, 22), sample("dos-traces", 1, 0, 21)];
    const tuning = tuningSamples(scored, [101], () => 17);
    expect(tuning).toContainEqual(sample("diurnal", 101));
    // Scored weeks: days 15-29; tuning windows measure two days each, after their warm-up, elsewhere.
    const tweets = tuning.filter((s) => s.workload === "nab-tweets");
    expect(tweets.map((s) => s.startDay)).toEqual([14, 16, 18, 20, 22, 24, 26, 28, 30, 32, 34, 36, 38]);
    for (const t of tweets) {
      const [from] = measuredWindow(t);
      expect(from >= 29 || from + 2 <= 15).toBe(true);
    }
    // The dos traces are three weeks: no window is left, so they are not tuned on at all.
    expect(tuning.some((s) => s.workload === "dos-traces")).toBe(false);
  });

  it("refuses a tuning seed that is scored", () => {
    expect(() => tuningSamples([sample("diurnal", 101)], [101], () => 17)).toThrow(/overlaps/);
  });

  it("never tunes on the days the full or quick suite scores", () => {
    const scored = [...scoredSamples(false), ...scoredSamples(true)];
    const tuning = contestTuningSamples();
    // The tweets' scored weeks reach day 50: two windows of two measured days are left at the end.
    expect(tuning.filter((t) => t.workload === "nab-tweets").map(measuredWindow)).toEqual([
      [51, 53],
      [53, 55],
    ]);
    for (const t of tuning) {
      for (const s of scored.filter((x) => x.workload === t.workload)) {
        if (t.workload === "nab-tweets" || t.workload === "dos-traces") {
          const [a, b] = measuredWindow(t);
          const [c, d] = measuredWindow(s);
          expect(a >= d || c >= b).toBe(true);
        } else expect(t.seed).not.toBe(s.seed);
      }
    }
  });
});

describe("picking knobs", () => {
  it("takes the fewest minutes among candidates that cost no more than 1% over the cheapest", () => {
    const best = pickKnobs([
      { knobs: { tolerance: 0.05, outlook: false }, violationMinutes: 10, hostHours: 100 },
      { knobs: { tolerance: 0.1, outlook: true }, violationMinutes: 4, hostHours: 100.5 },
      // Fewer minutes, but bought with hosts: headroom, which the frontier prices.
      { knobs: { tolerance: 0.1, outlook: false }, violationMinutes: 0, hostHours: 110 },
    ]);
    expect(best.knobs).toEqual({ tolerance: 0.1, outlook: true });
  });

  it("keeps the shipped knobs when the candidates tie", () => {
    const tie = [
      { knobs: { tolerance: 0.05, outlook: false }, violationMinutes: 0, hostHours: 100 },
      { knobs: { tolerance: 0.1, outlook: true }, violationMinutes: 0, hostHours: 100 },
    ];
    expect(pickKnobs(tie, { tolerance: 0.1, outlook: true }).knobs).toEqual({ tolerance: 0.1, outlook: true });
    expect(pickKnobs(tie).knobs).toEqual({ tolerance: 0.05, outlook: false });
  });
});
