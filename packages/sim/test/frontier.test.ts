import { describe, expect, it } from "vitest";
import { compare, runOf } from "../src/compare.ts";
import { FRONTIER_TARGETS, reactiveFrontier, violationsAtCost, type FrontierPoint } from "../src/frontier.ts";
import { equalCostMetrics, type SeedRun } from "../src/suite.ts";
import { small } from "./fixtures.ts";

const point = (targetUtilization: number, hostHours: number, violationMinutes: number): FrontierPoint => ({ targetUtilization, hostHours, violationMinutes });

describe("reactive scaling at equal cost", () => {
  const frontier = [point(0.8, 100, 60), point(0.65, 120, 30), point(0.5, 150, 40), point(0.35, 200, 0)];

  it("interpolates reactive's violation minutes at a given cost on the lower envelope", () => {
    expect(violationsAtCost(frontier, 110)).toBeCloseTo(45, 9);
    // 0.5's point pays more than 0.65's and has more violations: dominated, so 120 -> 200 is one segment.
    expect(violationsAtCost(frontier, 160)).toBeCloseTo(15, 9);
    expect(violationsAtCost(frontier, 120)).toBeCloseTo(30, 9);
  });

  it("takes the nearest end outside the frontier", () => {
    expect(violationsAtCost(frontier, 80)).toBe(60);
    expect(violationsAtCost(frontier, 500)).toBe(0);
    expect(violationsAtCost([], 100)).toBe(0);
  });

  it("pools predictive against reactive at its own cost over seeds", () => {
    const run = (violations: number, atCost: number): SeedRun => ({
      workload: "w",
      seed: 1,
      summary: {} as SeedRun["summary"],
      policies: { predictive: { violationMinutes: violations, hostHours: 1, bytesMoved: 0, maxMeanP99: 1, migrations: 0, p99LatencyMs: 0, hostsMin: 1, hostsMax: 1, shardletsMax: 1 } },
      frontier: { points: [point(0.8, 1, 10)], reactiveAtPredictiveCost: atCost },
      lowerBoundHostHours: 1,
      trackingHostHours: 1,
      boundHostHours: 1,
      wallMs: 0,
    });
    const m = equalCostMetrics([run(10, 40), run(20, 20)], "x_");
    expect(m.x_violation_minutes_reactive_at_predictive_cost).toBe(60);
    expect(m.x_violation_reduction_vs_reactive_equal_cost).toBeCloseTo(0.5, 9);
    expect(m.x_reactive_frontier_0_8_violation_minutes).toBe(20);
  });

  it("buys reactive more host-hours with every lower target on a real run", () => {
    const { workload, config } = small({ workload: "diurnal", days: 5, warmupDays: 2 });
    const c = compare(workload, config, { policies: ["reactive_tuned"] });
    const points = [point(0.8, runOf(c, "reactive_tuned").metrics.hostHours, 0), ...reactiveFrontier(workload, config, c.layout)];
    expect(points.map((p) => p.targetUtilization)).toEqual([0.8, ...FRONTIER_TARGETS]);
    for (let i = 1; i < points.length; i++) expect(points[i]!.hostHours).toBeGreaterThan(points[i - 1]!.hostHours);
  });
});
