import { describe, expect, it } from "vitest";
import { bootstrapRatio, ratioOfSums } from "../src/contest/bootstrap.ts";
import { baselineAt, readAt, sloHostHours, type ContestFrontiers } from "../src/contest/matched.ts";
import { contestMetrics, INFINITE_RATIO, type ContestRun } from "../src/contest/metrics.ts";
import { contestRun, ORACLE_TARGETS } from "../src/contest/run.ts";
import { compare, DEFAULT_POLICIES } from "../src/compare.ts";
import { costAtViolations, type FrontierPoint } from "../src/frontier.ts";
import { scenario } from "../src/scenario.ts";

const pt = (hostHours: number, violationMinutes: number, targetUtilization = 0.8): FrontierPoint => ({ targetUtilization, hostHours, violationMinutes });

describe("matched-cost reads", () => {
  const frontier = [pt(100, 60), pt(120, 30), pt(150, 40), pt(200, 0)];

  it("reads a policy at a cost between its points, and flags a cost below its cheapest point", () => {
    expect(readAt(frontier, 110)).toEqual({ minutes: 45, below: false });
    const below = readAt(frontier, 90);
    expect(below.minutes).toBe(60);
    expect(below.below).toBe(true);
    expect(readAt(frontier, 250).below).toBe(false);
  });

  it("finds the fewest host-hours that keep the minutes under a limit, on the envelope", () => {
    // 120 (30 min) -> 200 (0 min): 15 minutes are reached half way.
    expect(costAtViolations(frontier, 15)).toBeCloseTo(160, 9);
    // The cheapest point keeps it already: read there, never extrapolated below.
    expect(costAtViolations(frontier, 100)).toBe(100);
    expect(costAtViolations([pt(100, 5), pt(200, 3)], 1)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("the baseline at a cost", () => {
  const frontiers = { reactive: [pt(100, 50), pt(200, 10)], static: [pt(150, 0), pt(120, 40)] };

  it("takes whichever non-forecasting policy has fewer minutes there", () => {
    // At 150 reactive has 30, static none: static provisioning is the baseline.
    expect(baselineAt(frontiers, 150)).toMatchObject({ policy: "static", minutes: 0 });
    // At 110 static provisioning costs more than that at its smallest size (120, 40 min): reactive's 46 it is.
    expect(baselineAt(frontiers, 110)).toMatchObject({ policy: "reactive", minutes: 46, below: false });
    // Below both frontiers: the fewer minutes, flagged.
    expect(baselineAt(frontiers, 90)).toMatchObject({ policy: "static", minutes: 40, below: true });
    expect(baselineAt({ reactive: [pt(100, 0)], static: [pt(150, 0)] }, 120).policy).toBe("reactive");
  });

  it("holds the SLO at the cheaper of reactive and static", () => {
    const f: ContestFrontiers = { reactive: [pt(100, 10), pt(200, 0)], static: [pt(150, 0)], predictive: [pt(110, 20), pt(130, 0)] };
    // 1000 measured minutes: at most 1 minute over capacity.
    const slo = sloHostHours(f, 1000);
    expect(slo.predictive).toBeCloseTo(129, 9);
    expect(slo.baseline).toBe(150);
  });
});

describe("bootstrap interval of a ratio of sums", () => {
  it("pools before dividing and says 1 when neither side had anything", () => {
    expect(ratioOfSums([{ num: 1, den: 4 }, { num: 3, den: 4 }])).toBe(0.5);
    expect(ratioOfSums([{ num: 0, den: 0 }])).toBe(1);
    expect(ratioOfSums([{ num: 2, den: 0 }])).toBe(Number.POSITIVE_INFINITY);
  });

  it("brackets the ratio, is reproducible, and widens with the spread between samples", () => {
    const tight = Array.from({ length: 20 }, () => ({ num: 5, den: 10 }));
    const ci = bootstrapRatio(tight);
    expect(ci).toEqual({ ratio: 0.5, lo: 0.5, hi: 0.5 });
    const spread = Array.from({ length: 20 }, (_, i) => ({ num: i % 2 === 0 ? 0 : 10, den: 10 }));
    const wide = bootstrapRatio(spread);
    expect(wide.ratio).toBe(0.5);
    expect(wide.lo).toBeLessThan(0.4);
    expect(wide.hi).toBeGreaterThan(0.6);
    expect(wide.hi).toBeLessThanOrEqual(1);
    expect(bootstrapRatio(spread)).toEqual(wide);
  });
});

describe("contest keys", () => {
  const run = (workload: string, pred: FrontierPoint[], reactive: FrontierPoint[]): ContestRun => ({
    workload,
    seed: 1,
    anchorHostHours: 100,
    measuredMinutes: 2880,
    frontiers: { predictive: pred, reactive, static: [pt(300, 0)] },
  });

  it("compares per class at multiples of reactive_tuned's host-hours", () => {
    const m = contestMetrics([
      run("diurnal", [pt(100, 10), pt(120, 0)], [pt(100, 40), pt(120, 20)]),
      run("nab-tweets", [pt(130, 50), pt(160, 10)], [pt(100, 20), pt(200, 0)]),
    ]);
    expect(m.predictable_equal_cost_reduction_1_00).toBeCloseTo(0.75, 9);
    // At 1.10x: predictive 5 against reactive's 30.
    expect(m.predictable_equal_cost_reduction_1_10).toBeCloseTo(1 - 5 / 30, 9);
    // The tweets' predictive cannot be as cheap as 100: read at its cheapest point, and counted.
    expect(m.burst_equal_cost_ratio).toBeCloseTo(50 / 20, 9);
    expect(m.contest_reads_below_frontier_predictive).toBe(4);
    expect(m.pooled_samples).toBe(2);
    // 0.1% of 2,880 minutes: predictive keeps it at 100 + (10 - 2.88) / 10 x 20 host-hours; reactive
    // never does, so the baseline is static provisioning at 300.
    expect(m.predictable_slo_host_hours_ratio).toBeCloseTo((100 + 0.712 * 20) / 300, 9);
  });

  it("never reports a ratio with no bound as a small one", () => {
    const m = contestMetrics([run("diurnal", [pt(100, 10)], [pt(100, 0)]), run("ramp", [pt(100, 0)], [pt(100, 0)])]);
    expect(m.predictable_equal_cost_ratio).toBe(INFINITE_RATIO);
    expect(m.predictable_equal_cost_ratio_ci_hi).toBe(INFINITE_RATIO);
    expect(m.predictable_equal_cost_reduction_1_00).toBe(-1);
    // Predictive never holds the SLO on diurnal, so only ramp is compared.
    expect(m.predictable_slo_unreached_predictive).toBe(1);
    expect(m.contest_diurnal_slo_host_hours_ratio).toBeUndefined();
  });

  it("reads the oracle's own frontier at the same costs, beside the baseline over the same runs", () => {
    const withOracle: ContestRun = { ...run("diurnal", [pt(100, 10)], [pt(100, 40), pt(120, 20)]), oracle: [pt(90, 30), pt(110, 0)] };
    const m = contestMetrics([withOracle, run("ramp", [pt(100, 0)], [pt(100, 0)])]);
    // At 100 host-hours the oracle is halfway between its points: 15 minutes, against reactive's 40 on the same run.
    expect(m.predictable_equal_cost_oracle_minutes_1_00).toBeCloseTo(15, 9);
    expect(m.predictable_equal_cost_oracle_baseline_minutes_1_00).toBe(40);
    expect(m.contest_frontier_points_oracle).toBe(2);
    expect(contestMetrics([run("ramp", [pt(100, 0)], [pt(100, 0)])]).predictable_equal_cost_oracle_minutes_1_00).toBeUndefined();
  });
});

describe("the oracle's frontier", () => {
  it("runs the oracle at its own targets on the run's workload: six points, dearer as the target falls", { timeout: 120_000 }, () => {
    const { workload, config } = scenario({ workload: "diurnal", seed: 3, days: 3, warmupDays: 1 });
    const c = compare(workload, config, { policies: DEFAULT_POLICIES });
    const totals = (p: string) => {
      const r = c.runs.find((x) => x.policy === p)!;
      return { hostHours: r.metrics.hostHours, violationMinutes: r.metrics.violationMinutes };
    };
    const base = { reactive: totals("reactive_tuned"), predictive: totals("predictive"), static: totals("static_peak"), reactiveFrontier: [] };
    const oracle = contestRun(workload, config, c.layout, { ...base, oracle: totals("oracle") }).oracle!;
    expect(oracle).toHaveLength(ORACLE_TARGETS.length + 1);
    expect(oracle[0]).toMatchObject({ targetUtilization: config.capacity.targetUtilization, ...totals("oracle") });
    const byTarget = [...oracle].sort((a, b) => b.targetUtilization - a.targetUtilization);
    for (let i = 1; i < byTarget.length; i++) expect(byTarget[i]!.hostHours).toBeGreaterThan(byTarget[i - 1]!.hostHours);
    // Without the suite's oracle run there is no oracle frontier (the contest does not need one).
    expect(contestRun(workload, config, c.layout, base).oracle).toBeUndefined();
  });
});
