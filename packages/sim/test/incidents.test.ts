import { describe, expect, it } from "vitest";
import { compare, runOf } from "../src/compare.ts";
import { incidentsText, violationIncidents } from "../src/report/incidents.ts";
import { small } from "./fixtures.ts";

const TICK_MS = 300_000;

/** Two host slots over ten ticks, the first two warm-up: what the incident finder reads of a run. */
function run(violationMin: number[], util: Array<[number, number]>) {
  const ticks = violationMin.length;
  return {
    violationMs: Float32Array.from(violationMin.map((m) => m * 60_000)),
    ticks,
    tickMs: TICK_MS,
    measuredFromTick: 2,
    hostsServing: Uint16Array.from({ length: ticks }, (_, t) => (t >= 6 ? 2 : 1)),
    hostsPaid: Uint16Array.from({ length: ticks }, (_, t) => (t >= 5 ? 2 : 1)),
    planHostsNeeded: Uint16Array.from({ length: ticks }, () => 2),
    util: Float32Array.from(util.flat()),
    hostIds: ["h0", "h1"],
    hostEvents: [
      { t: 5 * TICK_MS, kind: "requested" as const, hostId: "h1" },
      { t: 6 * TICK_MS, kind: "ready" as const, hostId: "h1" },
    ],
  };
}

describe("violation incidents", () => {
  it("joins ticks with a short gap, splits longer gaps, ignores the warm-up, and reports the cluster at the worst tick", () => {
    const r = run(
      [5, 0, 5, 3, 0, 2, 0, 0, 0, 4],
      [[1.2, 0], [0.5, 0], [1.1, 0], [1.3, 0], [0.9, 0], [1.05, 0], [0.6, 0.3], [0.5, 0.4], [0.5, 0.5], [1.4, 0.2]],
    );
    const got = violationIncidents(r, { mergeGapTicks: 1, lookbackMs: 2 * TICK_MS });
    expect(got.map((x) => [x.fromTick, x.toTick])).toEqual([
      [2, 5],
      [9, 9],
    ]);
    const [first, second] = got;
    expect(first!.violationMinutes).toBeCloseTo(10, 6);
    expect(first!.hottestUtil).toBeCloseTo(1.3, 5);
    expect(first!.meanUtilThen).toBeCloseTo(1.3, 5); // one host serving at tick 3
    expect([first!.servingAtStart, first!.paidAtStart, first!.servingMax, first!.plannedAtStart]).toEqual([1, 1, 1, 2]);
    expect(first!.hostEvents.map((e) => e.kind)).toEqual(["requested"]); // asked for during it, ready after
    expect(second!.meanUtilThen).toBeCloseTo(0.8, 5); // two serving: (1.4 + 0.2) / 2
    expect(second!.hostEvents).toEqual([]); // both changes more than the look-back before
  });

  it("accounts for every violation minute of a simulated run, and says so per policy", () => {
    // Reactive at the product defaults has violation minutes on this small drifting workload.
    const { workload, config } = small({ workload: "zipf-drift", days: 6, warmupDays: 2 });
    const result = compare(workload, config, { policies: ["reactive", "predictive"] });
    const reactive = runOf(result, "reactive");
    expect(reactive.metrics.violationMinutes).toBeGreaterThan(0);
    for (const policy of ["reactive", "predictive"]) {
      const r = runOf(result, policy);
      const sum = violationIncidents(r).reduce((a, x) => a + x.violationMinutes, 0);
      expect(sum).toBeCloseTo(r.metrics.violationMinutes, 3);
    }
    const text = incidentsText(result, 3);
    const n = violationIncidents(reactive).length;
    expect(text).toContain(`  reactive: ${n} incident${n === 1 ? "" : "s"}, ${Math.round(reactive.metrics.violationMinutes)} violation minutes`);
    expect(text.split("\n").filter((l) => /^ {4}day \d+ \d\d:\d\d for \d+ min/.test(l)).length).toBeGreaterThanOrEqual(Math.min(3, n));
  });
});
