import { describe, expect, it } from "vitest";
import { contestTuningSamples, scoredSamples } from "../src/contest/samples.ts";
import { pickKnobs, traceWindows, tuningSamples, type ContestSample } from "../src/contest/tune.ts";

const sample = (workload: ContestSample["workload"], seed: number, startDay = 0, days = 17): ContestSample => ({ workload, seed, startDay, days });

describe("the tuning split", () => {
  it("lays a trace's windows back to back", () => {
    expect(traceWindows(55, 17)).toEqual([0, 17, 34]);
    expect(traceWindows(21, 22)).toEqual([]);
  });

  it("tunes generators on other seeds and traces on windows no scored run overlaps", () => {
    const scored = [sample("diurnal", 1), sample("diurnal", 2), sample("nab-tweets", 1, 0, 22), sample("dos-traces", 1, 0, 21)];
    const tuning = tuningSamples(scored, [101]);
    expect(tuning).toContainEqual(sample("diurnal", 101));
    const tweets = tuning.filter((s) => s.workload === "nab-tweets");
    expect(tweets.map((s) => s.startDay)).toEqual([22]);
    // The dos traces are three weeks: no window is left, so they are not tuned on at all.
    expect(tuning.some((s) => s.workload === "dos-traces")).toBe(false);
  });

  it("refuses a tuning seed that is scored", () => {
    expect(() => tuningSamples([sample("diurnal", 101)], [101])).toThrow(/overlaps/);
  });

  it("never tunes on what the full or quick suite scores", () => {
    const scored = [...scoredSamples(false), ...scoredSamples(true)];
    for (const t of contestTuningSamples()) {
      for (const s of scored.filter((x) => x.workload === t.workload)) {
        if (t.workload === "nab-tweets" || t.workload === "dos-traces") expect(t.startDay >= s.startDay + s.days || s.startDay >= t.startDay + t.days).toBe(true);
        else expect(t.seed).not.toBe(s.seed);
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
