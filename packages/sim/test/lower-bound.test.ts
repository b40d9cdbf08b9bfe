import { describe, expect, it } from "vitest";
import { compare, type PolicyName } from "../src/compare.ts";
import { hostHoursLowerBound, hostsLowerBound } from "../src/engine/lower-bound.ts";
import { lowerBoundMetrics, type SeedRun } from "../src/suite.ts";
import { small } from "./fixtures.ts";

describe("the host-hours floor", () => {
  it("counts the hosts a load fills to capacity, never fewer than the minimum", () => {
    expect(hostsLowerBound(0, 100, 1)).toBe(1);
    expect(hostsLowerBound(250, 100, 1)).toBe(3);
    expect(hostsLowerBound(300, 100, 1)).toBe(3);
    // A load the engine would not call over capacity (within its 1e-9) needs no extra host.
    expect(hostsLowerBound(300 * (1 + 1e-12), 100, 1)).toBe(3);
    expect(hostsLowerBound(50, 100, 2)).toBe(2);
  });

  it("is met by every tick a policy served without a violation, and no policy pays less", () => {
    const { workload, config } = small({ workload: "flash-crowd", days: 6, warmupDays: 3 });
    const policies: PolicyName[] = ["static_peak", "reactive_tuned", "predictive", "oracle"];
    const c = compare(workload, config, { policies });
    const bound = hostHoursLowerBound(workload, config);
    expect(bound.hostHours).toBeGreaterThan(0);
    const cap = config.cluster.hostCapacityEventsPerSec;
    let checked = 0;
    for (const run of c.runs) {
      expect(run.measuredFromTick).toBe(bound.measuredFromTick);
      // The floor's load is the engine's (kept per tick in single precision, hence the margin).
      for (let t = 0; t < run.ticks; t++) {
        const load = run.clusterLoad[t]!;
        expect(bound.hostsPerTick[t]!).toBeGreaterThanOrEqual(hostsLowerBound(load * (1 - 1e-6), cap, config.capacity.minHosts));
        expect(bound.hostsPerTick[t]!).toBeLessThanOrEqual(hostsLowerBound(load * (1 + 1e-6), cap, config.capacity.minHosts));
      }
      for (let t = run.measuredFromTick; t < run.ticks; t++) {
        // The floor is the engine's own load: any tick below it had a host over capacity.
        if (run.violationMs[t]! > 0) continue;
        expect(run.hostsPaid[t]!, `${run.policy} tick ${t}`).toBeGreaterThanOrEqual(bound.hostsPerTick[t]!);
        checked++;
      }
      if (run.metrics.violationMinutes === 0) expect(run.metrics.hostHours).toBeGreaterThanOrEqual(bound.hostHours);
    }
    expect(checked).toBeGreaterThan(0);
    // The floor is below static peak's fixed cluster on a load that varies: there is cost to take.
    expect(bound.hostHours).toBeLessThan(c.runs.find((r) => r.policy === "static_peak")!.metrics.hostHours);
  });

  it("follows the load: a cluster serving exactly the floor's hosts would have the floor's host-hours", () => {
    const { workload, config } = small({ workload: "diurnal", days: 5, warmupDays: 2 });
    const bound = hostHoursLowerBound(workload, config);
    const tickHours = config.cluster.tickMinutes / 60;
    let sum = 0;
    for (let t = bound.measuredFromTick; t < bound.hostsPerTick.length; t++) sum += bound.hostsPerTick[t]! * tickHours;
    expect(bound.hostHours).toBeCloseTo(sum, 6);
    expect(() => hostHoursLowerBound(workload, config, 0)).toThrow(/capacity must be positive/);
    // A daily cycle: the floor's hosts change over a day.
    const measured = [...bound.hostsPerTick.subarray(bound.measuredFromTick)];
    expect(Math.max(...measured)).toBeGreaterThan(Math.min(...measured));
  });

  it("pools the floor over seeds and sets every policy's host-hours against it", () => {
    const run = (bound: number, staticPeak: number, predictive: number): SeedRun => {
      const trackingHostHours = bound * 1.25;
      const totals = (hostHours: number) => ({ violationMinutes: 0, hostHours, bytesMoved: 0, maxMeanP99: 1, migrations: 0, p99LatencyMs: 0, hostsMin: 1, hostsMax: 1, shardletsMax: 1 });
      return { workload: "w", seed: 1, summary: {} as SeedRun["summary"], policies: { static_peak: totals(staticPeak), predictive: totals(predictive) }, lowerBoundHostHours: bound, trackingHostHours, boundHostHours: bound, wallMs: 0 };
    };
    const m = lowerBoundMetrics([run(10, 40, 20), run(30, 40, 40)], "x_");
    expect(m.x_host_hours_lower_bound).toBe(40);
    expect(m.x_host_hours_lower_bound_ratio_vs_static_peak).toBeCloseTo(0.5, 9);
    expect(m.x_host_hours_ratio_vs_lower_bound_predictive).toBeCloseTo(1.5, 9);
    expect(m.x_host_hours_ratio_vs_lower_bound_static_peak).toBeCloseTo(2, 9);
    expect(m.x_host_hours_tracking).toBe(50);
    expect(m.x_host_hours_tracking_ratio_vs_static_peak).toBeCloseTo(0.625, 9);
  });
});
