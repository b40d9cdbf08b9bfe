import { describe, expect, it } from "vitest";
import { boundMedians, boundMetrics, gapShare } from "../src/gap-share.ts";
import type { SeedRun } from "../src/suite.ts";

const totals = (hostHours: number) => ({ violationMinutes: 0, hostHours, bytesMoved: 0, maxMeanP99: 1, migrations: 0, p99LatencyMs: 0, hostsMin: 1, hostsMax: 1, shardletsMax: 1 });
const run = (workload: string, bound: number, staticPeak: number, predictive: number, oracle: number): SeedRun => ({
  workload,
  seed: 1,
  summary: {} as SeedRun["summary"],
  policies: { static_peak: totals(staticPeak), predictive: totals(predictive), oracle: totals(oracle) },
  lowerBoundHostHours: 1,
  trackingHostHours: 1,
  boundHostHours: bound,
  wallMs: 0,
});

describe("the share of the gap to the bound a policy closes", () => {
  it("is 0 at static peak, 1 at the bound, and undefined with no gap", () => {
    expect(gapShare(100, 100, 60)).toBe(0);
    expect(gapShare(100, 60, 60)).toBe(1);
    expect(gapShare(100, 90, 60)).toBeCloseTo(0.25, 9);
    // Below the bound only with violation minutes: reported as it is, past 1.
    expect(gapShare(100, 50, 60)).toBeCloseTo(1.25, 9);
    expect(gapShare(60, 50, 60)).toBeNull();
  });

  it("pools host-hours over seeds before the ratio, and takes the median over workloads", () => {
    const runs = [run("a", 60, 100, 90, 70), run("a", 20, 100, 60, 30), run("b", 50, 100, 50, 50), run("flat", 100, 100, 100, 100)];
    const m = boundMetrics(runs.slice(0, 2), "a_");
    expect(m.a_bound_host_hours).toBe(80);
    expect(m.a_bound_ratio_vs_static_peak).toBeCloseTo(0.4, 9);
    // (200 - 150) / (200 - 80) and (200 - 100) / (200 - 80).
    expect(m.a_gap_share_closed_predictive).toBeCloseTo(50 / 120, 9);
    expect(m.a_gap_share_closed_oracle).toBeCloseTo(100 / 120, 9);
    expect(m.a_gap_share_closed_static_peak).toBeUndefined();
    const med = boundMedians(runs);
    // Workload a 0.417, b 1; flat has no gap and is left out.
    expect(med.gap_share_closed_predictive_median).toBeCloseTo((50 / 120 + 1) / 2, 9);
  });
});
